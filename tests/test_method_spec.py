"""The method descriptions (``polyx.expansion.methods.catalog``) against the implementations and their users.

The defaults must be the functions' own (read from their signatures, an independent source), every
parameter a function takes must be described, ``polyx.expand`` must refuse what the description
refuses and pass on what it fills in, and ``polyx convert`` (library and CLI) must agree with it.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest

from polyx.converters.ir.chain import Activation, DenseLayer, Network
from polyx.errors import MethodError
from polyx.expansion.methods.catalog import ALIASES, METHOD_SPECS, method_spec
from polyx.expansion.methods.expand import METHODS, expand
from polyx.expansion.methods.global_taylor import expand_global
from polyx.expansion.methods.least_squares import expand_lsq
from polyx.expansion.methods.local_taylor import expand_local
from polyx.expansion.methods.mixture import lsq_with_mixture

IMPLEMENTATIONS = {"nn2poly": [expand_global], "taylor": [expand_local], "lsq": [expand_lsq, lsq_with_mixture]}
"""The functions whose keyword parameters each description lists (lsq: the single Gaussian and the mixture)."""
NOT_OPTIONS = {"network", "order", "stage", "parameters"}


def _network(widths: list[int], seed: int = 3, activation: str = "tanh") -> Network:
    rng = np.random.default_rng(seed)
    layers = [DenseLayer(rng.normal(0, 0.6, (n_out, n_in)), rng.normal(0, 0.2, n_out),
                         Activation(activation if i < len(widths) - 2 else "linear"))
              for i, (n_in, n_out) in enumerate(zip(widths, widths[1:]))]
    return Network(layers)


SHALLOW, DEEP = _network([3, 5, 2]), _network([3, 4, 4, 1])
ROWS = np.random.default_rng(7).normal(0.2, 0.8, (400, 3))


@pytest.mark.parametrize("method", list(METHOD_SPECS))
def test_every_parameter_is_described_with_the_function_s_own_default(method: str) -> None:
    spec = METHOD_SPECS[method]
    described = set()
    for function in IMPLEMENTATIONS[method]:
        for name, parameter in inspect.signature(function).parameters.items():
            if name in NOT_OPTIONS or parameter.kind is inspect.Parameter.VAR_KEYWORD:
                continue
            described.add(name)
            assert name in spec.option_names, f"{function.__name__}({name}) is not in the {method} description"
            assert spec.option(name).default == parameter.default, (method, name)
    # …and nothing is described that no function takes (lsq: mean/cov only in expand_lsq, mixture only in the mixture fit)
    assert set(spec.option_names) == described


def test_every_described_method_has_an_implementation_and_aliases_resolve() -> None:
    assert list(METHODS) == list(METHOD_SPECS) == ["nn2poly", "taylor", "lsq"]
    assert ALIASES == {"global": "nn2poly", "hope": "taylor"}
    assert method_spec("hope") is METHOD_SPECS["taylor"]


@pytest.mark.parametrize(
    ("method", "parameters", "message"),
    [
        ("taylor", {"at": [0, 0, 0], "colour": 1}, "the taylor method has no parameter 'colour'; its parameters are `order`, `at`, "),
        ("nn2poly", {"at": [0, 0, 0]}, "the nn2poly method has no parameter 'at'; its parameters are `order`, `taylor_orders`"),
        ("taylor", {"at": [0, 0, 0], "terms": 3}, "`terms` of the taylor method must be one of all, diagonal, got 3"),
        ("taylor", {"at": [0, 0, 0], "centered": "yes"}, "`centered` of the taylor method must be True or False, got 'yes'"),
        ("taylor", {"at": "0,0,0"}, "`at` of the taylor method must be a sequence of numbers (one per input), got '0,0,0'"),
        ("taylor", {"at": [0, 0, 0], "seed": -1}, "`seed` must be ≥ 0, got -1"),
        ("taylor", {"at": [0, 0, 0], "seed": 1.5}, "`seed` of the taylor method must be a whole number from 0 to 4294967295, got 1.5"),
        ("taylor", {"at": [0, 0, 0], "max_interaction": 0}, "`max_interaction` must be ≥ 1, got 0"),
        ("nn2poly", {"taylor_orders": [8, 0]}, "`taylor_orders` must be ≥ 1, got [8, 0]"),
        ("nn2poly", {"taylor_orders": 65}, "`taylor_orders` must be ≤ 64, got 65"),
        ("nn2poly", {"taylor_orders": 2.5}, "`taylor_orders` of the nn2poly method must be a whole number or a sequence"),
        ("nn2poly", {"taylor_center": float("nan")}, "`taylor_center` must be finite, got nan"),
        ("nn2poly", {"fit": "rows.csv"}, "`fit` of the nn2poly method must be a 2-D array of input rows, got 'rows.csv'"),
        ("nn2poly", {"data": [["a", "b", "c"]]}, "`data` of the nn2poly method must be a 2-D array of input rows, got list"),
        ("lsq", {"samples": 0}, "`samples` must be ≥ 1, got 0"),
        ("lsq", {"cov": {"a": 1}}, "`cov` of the lsq method must be a 2-D array of numbers, got dict"),
        ("lsq", {"input_names": "x1"}, "`input_names` of the lsq method must be a sequence of strings, got 'x1'"),
        ("lsq", {"max_memory": True}, "`max_memory` of the lsq method must be a whole number ≥ 1, got True"),
    ],
)
def test_a_parameter_the_description_refuses_is_one_method_error_naming_it(method: str, parameters: dict,
                                                                          message: str) -> None:
    with pytest.raises(MethodError) as raised:
        expand(SHALLOW, method, 2, **parameters)
    assert str(raised.value).startswith(message), str(raised.value)
    assert raised.value.option == message.split("'")[1] if "no parameter" in message else message.split("`")[1]


def test_the_filled_defaults_are_what_the_functions_would_have_used() -> None:
    """expand() with nothing but the point gives term for term what the function gives on its own defaults."""
    x0 = np.array([0.3, -0.2, 0.5])
    assert np.array_equal(expand(SHALLOW, "taylor", 3, at=x0).coefficients, expand_local(SHALLOW, 3, at=x0).coefficients)
    assert np.array_equal(expand(SHALLOW, "nn2poly", 3).coefficients, expand_global(SHALLOW, 3).coefficients)
    assert np.array_equal(expand(SHALLOW, "lsq", 2).coefficients, expand_lsq(SHALLOW, 2).coefficients)
    filled = METHOD_SPECS["taylor"].parameters({"at": x0})
    assert filled["terms"] == "all" and filled["seed"] == 0 and filled["validity_samples"] == 16 and filled["at"] is x0


def test_a_numpy_scalar_is_a_number() -> None:
    polynomial = expand(SHALLOW, "taylor", np.int64(2), at=np.zeros(3), seed=np.int64(4), validity_tolerance=np.float64(1e-2))
    assert polynomial.method["order"] == 2


RUNS = {
    "nn2poly": [{}, {"data": ROWS}, {"fit": ROWS}],
    "taylor": [{"at": [0.1, 0.2, -0.3]}, {"at": [0.1, 0.2, -0.3], "terms": "diagonal"}],
    "lsq": [{}, {"data": ROWS}, {"data": ROWS, "components": 2}, {"check_samples": 2000}],
}


@pytest.mark.parametrize(("method", "index"), [(m, i) for m, runs in RUNS.items() for i in range(len(runs))])
def test_what_a_method_records_and_reports_is_described(method: str, index: int) -> None:
    spec = METHOD_SPECS[method]
    network = DEEP if method == "lsq" and index == 1 else SHALLOW  # a deeper network: the empirical fit
    with np.errstate(all="ignore"):
        polynomial = expand(network, spec.aliases[0] if spec.aliases else method, 2, **RUNS[method][index])
    assert polynomial.method["name"] == method
    assert set(spec.recorded) <= set(polynomial.method)
    described = {entry.name: entry for entry in spec.diagnostics}
    for key, value in polynomial.diagnostics.items():
        assert key in described, f"{method} writes diagnostics['{key}'] but does not describe it"
        assert isinstance(value, described[key].kind), (key, type(value))


OLD_METHOD_OPTIONS = {
    "nn2poly": {"taylor_orders", "taylor_center", "fit", "data", "logits"},
    "taylor": {"at", "at_row", "at_mean", "at_points", "agreement_tolerance", "centered", "logits", "terms",
               "max_interaction", "validity_tolerance", "seed"},
    "lsq": {"gaussian", "mixture", "data", "check_samples", "samples", "seed", "logits"},
}
"""The table ``polyx.conversion`` kept by hand before the descriptions: which convert options each method takes."""


def test_convert_reads_which_options_belong_to_which_method_from_the_descriptions() -> None:
    from polyx.conversion import ConversionRequest, method_fields

    assert {name: set(method_fields(name)) for name in METHOD_SPECS} == OLD_METHOD_OPTIONS
    request = ConversionRequest(model=Path("m.onnx"))
    assert (request.taylor_center, request.terms, request.seed, request.check_samples) == (0.0, "all", 0, 0)
    assert METHOD_SPECS["taylor"].option("seed").default == request.seed
    fields = set(ConversionRequest.__dataclass_fields__)
    for spec in METHOD_SPECS.values():
        assert spec.request_fields() <= fields


def test_the_convert_command_s_defaults_and_choices_are_the_descriptions() -> None:
    from polyx.cli.main import cli

    params = {param.name: param for param in cli.commands["convert"].params}
    every = set().union(*(spec.request_fields() for spec in METHOD_SPECS.values()))
    assert every <= set(params)
    for method, option, field in [("nn2poly", "taylor_center", "taylor_center"), ("taylor", "terms", "terms"),
                                  ("lsq", "check_samples", "check_samples"), ("lsq", "seed", "seed"),
                                  ("taylor", "seed", "seed")]:
        assert params[field].default == METHOD_SPECS[method].option(option).default, field
    assert tuple(params["terms"].type.choices) == METHOD_SPECS["taylor"].option("terms").choices
    assert params["method"].default == "nn2poly"
    assert "[taylor, lsq]" in params["seed"].help and "[nn2poly, lsq]" in params["data"].help
    assert "[taylor]" in params["at_row"].help and params["logits"].help.startswith("Expand")


def test_the_typed_views_read_only_described_keys_and_keep_the_artifact_as_it_is(tmp_path) -> None:
    """Every diagnostics entry the view reads is one a method describes; reading changes nothing written."""
    from polyx.expansion.methods.records import Diagnostics, diagnostics_of, method_record
    from polyx.expansion.writers.artifact import artifact_text, load_polynomial

    described = {entry.name for spec in METHOD_SPECS.values() for entry in spec.diagnostics}
    read = {name for name, value in vars(Diagnostics).items() if isinstance(value, property)}
    assert read <= described, read - described
    x0 = [0.1, 0.2, -0.3]
    polynomial = expand(SHALLOW, "taylor", 3, at=x0)
    path = tmp_path / "p.poly.json"
    path.write_text(artifact_text(polynomial, path), encoding="utf-8")
    loaded = load_polynomial(path)
    validity, method = diagnostics_of(loaded).validity, method_record(loaded)
    assert validity is not None and validity.radius == polynomial.diagnostics["validity"]["radius"]
    assert validity.seed == 0 and method.at == x0 and method.name == "taylor" and method.units == "raw"
    assert artifact_text(loaded, path) == path.read_text(encoding="utf-8")
    empty = Diagnostics({})
    assert (empty.validity, empty.r2_check, empty.data, empty.r2_vs_network, empty.warnings) == (None, None, None, None, [])
    assert Diagnostics({"validity": {"radius": "wide"}}).validity is None
