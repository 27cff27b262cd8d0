"""The matrix path for degree 2 (expansion/polynomials/quadratic.py) against the general monomial kernel, finite
differences and direct sums; and the sparse monomial table it writes.

Tolerances: matrix path vs kernel 1e-12 relative to the largest coefficient of each output (both
are float64 sums of the same products in another order); Hessian vs central differences of the
float64 network 1e-5 (step 1e-4: truncation ~1e-8·|f'''|, rounding ~1e-16/1e-8)."""

from __future__ import annotations

import numpy as np
import pytest

from polyx.converters.ir.chain import Activation, DenseLayer, LINEAR, Network
from polyx.expansion.polynomials import quadratic
from polyx.expansion.kernel.budget import check_quadratic_memory
from polyx.errors import OrderTooLargeError
from polyx.expansion.methods.least_squares import expand_lsq
from polyx.expansion.methods.local_taylor import expand_local
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.kernel.space import MonomialSpace

TANH = Activation("tanh")


def _network(sizes: list[int], seed: int, activation: Activation = TANH) -> Network:
    rng = np.random.default_rng(seed)
    layers = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = index == len(sizes) - 2
        layers.append(DenseLayer(rng.normal(size=(fan_out, fan_in)) / np.sqrt(fan_in), rng.normal(size=fan_out) * 0.3,
                                 LINEAR if last else activation))
    return Network(tuple(layers))


def _general(monkeypatch: pytest.MonkeyPatch, build):
    """Run ``build`` with the matrix path switched off, so the general kernel answers."""
    with monkeypatch.context() as patch:
        patch.setattr(quadratic, "FAST_VARIABLES", 10**9)
        return build()


def _same(fast: Polynomial, slow: Polynomial) -> None:
    assert np.array_equal(fast.indices, slow.indices)
    scale = np.abs(slow.coefficients).max(axis=1, keepdims=True)
    assert np.all(np.abs(fast.coefficients - slow.coefficients) <= 1e-12 * scale)
    if slow.center is None:
        assert fast.center is None
    else:
        assert np.array_equal(fast.center, slow.center)


@pytest.mark.parametrize("centered", [False, True])
def test_lsq_matrix_path_equals_kernel(monkeypatch: pytest.MonkeyPatch, centered: bool) -> None:
    network = _network([quadratic.FAST_VARIABLES, 24, 3], seed=1)
    rng = np.random.default_rng(2)
    n = network.input_size
    mean = rng.normal(size=n) * 0.5
    root = rng.normal(size=(n, n)) / np.sqrt(n)
    cov = root @ root.T + 0.1 * np.eye(n)
    fast = expand_lsq(network, 2, mean, cov, centered=centered)
    slow = _general(monkeypatch, lambda: expand_lsq(network, 2, mean, cov, centered=centered))
    _same(fast, slow)
    assert fast.diagnostics["r2"] == slow.diagnostics["r2"]


@pytest.mark.parametrize("centered", [False, True])
def test_taylor_matrix_path_equals_kernel(monkeypatch: pytest.MonkeyPatch, centered: bool) -> None:
    network = _network([quadratic.FAST_VARIABLES + 3, 9, 7, 2], seed=5)
    point = np.random.default_rng(6).normal(size=network.input_size) * 0.4
    fast = expand_local(network, 2, point, centered=centered, validity_samples=0)
    slow = _general(monkeypatch, lambda: expand_local(network, 2, point, centered=centered, validity_samples=0))
    _same(fast, slow)
    assert fast.diagnostics["value_at_reference"] == pytest.approx(slow.diagnostics["value_at_reference"], rel=1e-13)


def test_taylor_parts_match_finite_differences() -> None:
    network = _network([5, 8, 6, 2], seed=7, activation=Activation("sigmoid"))
    point = np.random.default_rng(8).normal(size=5)
    parts = quadratic.taylor_parts(network, point)
    assert np.allclose(parts.alpha, network.forward(point[None])[0], rtol=1e-14, atol=0)
    step, eye = 1e-4, np.eye(5)
    f = lambda x: network.forward(np.asarray(x)[None])[0]  # noqa: E731
    for i in range(5):
        for j in range(5):
            second = (f(point + step * (eye[i] + eye[j])) - f(point + step * (eye[i] - eye[j]))
                      - f(point - step * (eye[i] - eye[j])) + f(point - step * (eye[i] + eye[j]))) / (4 * step**2)
            assert np.allclose(2 * parts.gram[:, i, j], second, atol=1e-5)
        gradient = (f(point + step * eye[i]) - f(point - step * eye[i])) / (2 * step)
        assert np.allclose(parts.beta[:, i], gradient, atol=1e-7)


def test_quadratic_evaluation_equals_monomial_kernel() -> None:
    n, rng = quadratic.FAST_VARIABLES + 1, np.random.default_rng(9)
    exponents = MonomialSpace(n, 2).all_exponents()
    coefficients = rng.normal(size=(3, exponents.shape[0]))
    x = rng.normal(size=(257, n))
    for center in (None, rng.normal(size=n)):
        poly = Polynomial(tuple(f"x{i}" for i in range(n)), ("a", "b", "c"), exponents, coefficients, center)
        fast = poly.evaluate(x)
        slow = poly._plan.evaluate(x, poly.center, poly.coefficients).T
        assert np.allclose(fast, slow, rtol=1e-12, atol=1e-12 * np.abs(slow).max())
        z = x if center is None else x - center
        direct = coefficients[:, 0] + z @ coefficients[:, 1 : n + 1].T
        i, j = np.triu_indices(n)
        direct += (z[:, i] * z[:, j]) @ coefficients[:, n + 1 :].T
        assert np.allclose(fast, direct, rtol=1e-12, atol=1e-12 * np.abs(direct).max())


@pytest.mark.parametrize("n", [1, 5, 8, 9, 70])
def test_banded_evaluation_equals_the_full_quadratic_form(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """The block-upper-triangle products (bands of G, off-diagonal blocks doubled) against
    α + βᵀz + Σ_ij G_ij z_i z_j summed in full by einsum, over several row chunks; 1e-12 relative."""
    rng = np.random.default_rng(n)
    gram = rng.normal(size=(3, n, n))
    parts = quadratic.QuadraticParts(rng.normal(size=3), rng.normal(size=(3, n)), gram + gram.transpose(0, 2, 1))
    x, center = rng.normal(size=(101, n)), rng.normal(size=n)
    monkeypatch.setattr(quadratic, "EVALUATION_CHUNK_BYTES", 8 * 3 * n * 17)  # 17 rows per chunk
    z = x - center
    direct = parts.alpha + z @ parts.beta.T + np.einsum("ri,oij,rj->ro", z, parts.gram, z)
    fast = quadratic.evaluate_quadratic(parts, x, center)
    assert np.allclose(fast, direct, rtol=1e-12, atol=1e-12 * np.abs(direct).max())


def test_quadratic_guard_refuses_up_front() -> None:
    with pytest.raises(OrderTooLargeError, match="quadratic in 784 variables for 10 outputs"):
        check_quadratic_memory(784, 10, [512], max_memory=10 * 2**20)
    network = _network([quadratic.FAST_VARIABLES, 4, 2], seed=10)
    with pytest.raises(OrderTooLargeError, match="`max_memory`"):
        expand_lsq(network, 2, max_memory=2**16)


def test_wide_quadratic_never_builds_a_dense_exponent_table() -> None:
    """784 inputs: the polynomial holds a (terms, 2) int32 table; the dense view is refused."""
    network = _network([784, 16, 2], seed=11)
    poly = expand_lsq(network, 2)
    assert poly.indices.shape == (1 + 784 + 784 * 785 // 2, 2) and poly.indices.dtype == np.int32
    assert poly.term_names()[785:788] == ["x1²", "x1·x2", "x1·x3"]
    with pytest.raises(Exception, match="dense exponent"):
        poly.exponents  # noqa: B018
    x = np.random.default_rng(12).normal(size=(5, 784))
    parts = poly.quadratic
    direct = parts.alpha + x @ parts.beta.T + np.einsum("ri,oij,rj->ro", x, parts.gram, x)
    assert np.allclose(poly.evaluate(x), direct, rtol=1e-12)


@pytest.mark.parametrize("centered", [False, True])
def test_onnx_export_of_a_wide_quadratic_matches_the_polynomial(centered: bool) -> None:
    """The MatMul graph (onnx_quadratic) against Polynomial.evaluate, in onnxruntime float64 (1e-12)."""
    import onnxruntime

    from polyx.expansion.writers.onnx_export import polynomial_to_onnx

    network = _network([quadratic.FAST_VARIABLES + 2, 5, 3], seed=13)
    point = np.random.default_rng(14).normal(size=network.input_size)
    poly = expand_local(network, 2, point, centered=centered, validity_samples=0)
    model = polynomial_to_onnx(poly, "float64")
    assert "MatMul" in {node.op_type for node in model.graph.node}
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(15).normal(size=(37, network.input_size))
    (got,) = session.run(None, {"x": x})
    expected = poly._plan.evaluate(x, poly.center, poly.coefficients).T
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())
