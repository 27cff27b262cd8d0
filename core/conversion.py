"""``polyx convert``'s library side: from a model file and the user's options to written artifacts.

Options that name data files (``--data``, ``--fit``, ``--at-row``, ``--at-mean``, ``--gaussian``)
are resolved here, after the model is loaded, because matching CSV columns needs the model's
input size. Every output path is checked before the model is loaded, every artifact is rendered
before the first one is written, each file is written atomically, and when a later write still
fails the files already written are removed: a failed convert leaves nothing behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from polyx.converters.ir.chain import Network
from polyx.errors import DataError, MethodError
from polyx.files import default_output_name
from polyx.expansion.kernel.budget import DEFAULT_MAX_MEMORY
from polyx.expansion.methods.catalog import MAX_TAYLOR_ORDER, METHOD_SPECS
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.tabular import read_table

if TYPE_CHECKING:
    from polyx.expansion.polynomials.units import Standardization

__all__ = [
    "ConversionRequest",
    "Conversion",
    "convert",
    "default_output_path",
    "parse_numbers",
    "parse_row_reference",
    "parse_taylor_orders",
    "MAX_TAYLOR_ORDER",
    "read_gaussian",
]


def _default(method: str, option: str) -> Any:
    """A method option's default, from the method's description (``polyx.expansion.methods.catalog``)."""
    return METHOD_SPECS[method].option(option).default


@dataclass(frozen=True)
class ConversionRequest:
    """Everything ``polyx convert`` was asked, as given (paths are not opened yet); a method's options
    default to its description's defaults."""

    model: Path
    method: str = "nn2poly"
    order: int = 2
    output: Path | None = None
    latex: Path | None = None
    sympy: Path | None = None
    digits: int = 6
    threshold: float = 0.0
    columns: Sequence[str] | None = None
    exclude: Sequence[str] = ()
    max_memory: int = DEFAULT_MAX_MEMORY
    data: Path | None = None
    taylor_orders: int | Sequence[int] | None = None
    taylor_center: float = _default("nn2poly", "taylor_center")
    fit: Path | None = None
    at: Sequence[float] | None = None
    at_row: tuple[Path, int] | None = None
    at_mean: Path | None = None
    at_points: Path | None = None
    agreement_tolerance: float | None = None
    centered: bool = False
    logits: bool = False
    terms: str = _default("taylor", "terms")
    max_interaction: int | None = None
    validity_tolerance: float | None = None
    gaussian: Path | None = None
    mixture: int | None = None
    check_samples: int = _default("lsq", "check_samples")
    samples: int | None = None
    seed: int = _default("lsq", "seed")
    model_output: str | None = None
    center: Sequence[float] | None = None
    scale: Sequence[float] | None = None
    units: str = "raw"
    keep_layers: bool = False


@dataclass
class Conversion:
    """The polynomial and the files written for it."""

    polynomial: Polynomial
    written: list[Path] = field(default_factory=list)


def default_output_path(model: Path) -> Path:
    """``model.poly.json`` in the current directory, the file ``polyx verify`` finds by default."""
    return default_output_name(model, (".onnx", ".json", ".npz"), ".poly.json")


def parse_numbers(text: str, option: str) -> list[float]:
    """'0.5,-0.2' → [0.5, -0.2], with a message naming the option (a parameter name, shown in backticks) on bad input."""
    try:
        values = [float(part) for part in text.replace(" ", "").split(",") if part != ""]
    except ValueError:
        raise DataError(f"`{option}` '{text}' is not a comma-separated list of numbers; write it like 0.5,-0.2") from None
    if not values or not np.all(np.isfinite(values)):
        raise DataError(f"`{option}` '{text}' must list finite numbers, e.g. 0.5,-0.2")
    return values


def parse_taylor_orders(text: str) -> int | list[int]:
    """'8' → 8 (nn2poly's scalar: every non-linear layer) and '8,8,1' → [8, 8, 1] (one per layer)."""
    values = parse_numbers(text, "taylor_orders")
    orders = [int(v) for v in values]
    if orders != values:
        raise DataError(f"`taylor_orders` '{text}': Taylor orders are whole numbers, e.g. 8 or 8,8,1")
    _check_taylor_orders(orders)
    return orders[0] if len(orders) == 1 and "," not in text else orders


def _check_taylor_orders(orders: int | Sequence[int]) -> None:
    """Refuse orders above MAX_TAYLOR_ORDER before any series is computed (1e30 would exhaust memory)."""
    too_high = [q for q in ([orders] if isinstance(orders, (int, np.integer)) else orders) if q > MAX_TAYLOR_ORDER]
    if too_high:
        raise DataError(
            f"`taylor_orders` {float(too_high[0]):g} is above {MAX_TAYLOR_ORDER}, the highest Taylor order polyx computes; "
            f"give orders from 1 to {MAX_TAYLOR_ORDER}"
        )


def parse_row_reference(text: str) -> tuple[Path, int]:
    """'data.csv:12' → (data.csv, 12): the 1-based data row (not counting the header)."""
    path, sep, row = text.rpartition(":")
    if not sep or not row.isdigit() or int(row) < 1:
        raise DataError(f"`at_row` '{text}' must be FILE.csv:N with N ≥ 1 the data row (header not counted)")
    return Path(path), int(row)


def _read_inputs(request: ConversionRequest, path: Path, network: Network) -> tuple[np.ndarray, list[str]]:
    inputs, _, names = read_table(
        path, expected_inputs=network.input_size, columns=request.columns, exclude=request.exclude,
        variable_names=network.variable_names,
    )
    return inputs, names


def _nn2poly_parameters(request: ConversionRequest, network: Network) -> tuple[dict[str, Any], list[str] | None]:
    """Taylor settings as given; ``--fit`` and ``--data`` CSVs read into input rows, named by their paths.

    ``taylor_orders`` None (the CLI default) lets the method choose: 8 for Taylor, Q for a fit.
    """
    if request.taylor_orders is not None:
        _check_taylor_orders(request.taylor_orders)
    parameters: dict[str, Any] = {"taylor_orders": request.taylor_orders, "taylor_center": request.taylor_center}
    names = None
    for option, path in (("fit", request.fit), ("data", request.data)):
        if path is not None:
            parameters[option], names = _read_inputs(request, path, network)
            parameters[f"{option}_source"] = str(path)
    return parameters, names


def _taylor_parameters(request: ConversionRequest, network: Network) -> tuple[dict[str, Any], list[str] | None]:
    """The reference point from exactly one of ``--at``, ``--at-row FILE:N`` or ``--at-mean FILE``, plus the options.

    CSV rows are matched to the model's inputs like every other CSV option; the columns' names
    then name the polynomial's variables. No point at all is refused here, naming every way to give one.
    """
    given = [f"`{name}`" for name, value in (("at", request.at), ("at_row", request.at_row), ("at_mean", request.at_mean),
                                             ("at_points", request.at_points)) if value is not None]
    if len(given) > 1:
        raise DataError(f"{' and '.join(given)} both give the reference point; use only one of them")
    if request.agreement_tolerance is not None and request.at_points is None:
        raise DataError("`agreement_tolerance` applies to `at_points`; drop it or give the points")
    at, names, source = request.at, None, None
    if request.at_row is not None:
        path, row = request.at_row
        inputs, names = _read_inputs(request, path, network)
        if row > inputs.shape[0]:
            raise DataError(f"`at_row` {path}:{row}: the file has {inputs.shape[0]} data rows; give N from 1 to {inputs.shape[0]}")
        at, source = inputs[row - 1], f"{path} row {row}"
    elif request.at_mean is not None:
        inputs, names = _read_inputs(request, request.at_mean, network)
        at, source = inputs.mean(axis=0), f"mean of {request.at_mean}"
    elif request.at_points is not None:
        if request.centered:
            raise DataError("`at_points` compares the local polynomials in powers of x; drop `centered`")
        at, names = _read_inputs(request, request.at_points, network)
        source = str(request.at_points)
    if at is None:
        raise MethodError(f"{request.model}: the taylor method expands the network at a reference point x0 and none was "
                          "given; pass `at`=0.5,-0.2, `at_row` DATA.csv:N or `at_mean` DATA.csv")
    parameters: dict[str, Any] = {
        "at": at, "centered": request.centered, "logits": request.logits, "terms": request.terms,
        "max_interaction": request.max_interaction, "validity_tolerance": request.validity_tolerance,
        "seed": request.seed, "at_source": source,
    }
    return parameters, names


def _lsq_parameters(request: ConversionRequest, network: Network) -> tuple[dict[str, Any], list[str] | None]:
    """The Gaussian input model from ``--gaussian FILE.json``, or fitted to ``--data`` (whose rows
    also feed the empirical fit of deeper networks); neither means N(0, I)."""
    if request.gaussian is not None and request.data is not None:
        raise DataError("`gaussian` and `data` both give the input model; use only one of them")
    parameters: dict[str, Any] = {"samples": request.samples, "seed": request.seed, "check_samples": request.check_samples}
    names = None
    if request.mixture is not None and request.data is None:
        raise DataError("`mixture` k fits a k-component Gaussian mixture to `data`; give `data` "
                        "(a mixture of your own goes in `gaussian` as weights, means, covs)")
    if request.gaussian is not None:
        spec = read_gaussian(request.gaussian)
        if isinstance(spec, dict):
            from polyx.expansion.methods.mixture import mixture_from_spec

            parameters["mixture"] = mixture_from_spec(spec["weights"], spec["means"], spec["covs"],
                                                      network.variable_names, str(request.gaussian))
        else:
            parameters["mean"], parameters["cov"] = spec
        parameters["input_source"] = str(request.gaussian)
    elif request.data is not None:
        parameters["data"], names = _read_inputs(request, request.data, network)
        parameters["input_source"] = str(request.data)
        if request.mixture is not None and request.mixture > 1:
            parameters["components"] = request.mixture
    parameters["input_names"] = names
    return parameters, names


# Keyed by the canonical names of polyx.expansion.methods.catalog.METHOD_SPECS; aliases are resolved first.
_PARAMETERS = {
    "nn2poly": _nn2poly_parameters,
    "taylor": _taylor_parameters,
    "lsq": _lsq_parameters,
}

EVERY_METHOD = frozenset({"logits"})
"""Request fields every method takes: ``logits`` cuts a classifier's final sigmoid off before any method runs
(the taylor method also takes it as its own parameter, for a softmax)."""


def method_fields(method: str) -> frozenset[str]:
    """The ConversionRequest fields that belong to ``method``, read from its description (``MethodSpec.set_by``)."""
    from polyx.expansion.methods.catalog import METHOD_SPECS

    return frozenset(METHOD_SPECS[method].request_fields()) | EVERY_METHOD


def _canonical_method(name: str) -> str:
    """The method's canonical name ('hope' → 'taylor'), checked before any file is opened."""
    from polyx.expansion.methods.catalog import canonical_method

    return canonical_method(name)


def _check_options(request: ConversionRequest, method: str) -> None:
    """Refuse an option the chosen method would silently ignore (``at`` with nn2poly, say)."""
    from polyx.expansion.methods.catalog import METHOD_SPECS

    defaults = ConversionRequest(model=request.model)
    owners = {name: method_fields(name) for name in METHOD_SPECS}
    for name in sorted(set().union(*owners.values()) - owners[method]):
        if getattr(request, name) != getattr(defaults, name):
            users = sorted(other for other, fields in owners.items() if name in fields)
            raise DataError(
                f"`{name}` applies to `method` {' or '.join(users)}, not {request.method}; "
                "drop it or choose that method", option=name
            )


def _written_names(names: list[str] | None, network: Network) -> list[str] | None:
    if names is None or list(names) == list(network.variable_names):
        return None
    return list(names)


def _inputs(request: ConversionRequest) -> dict[str, Path | None]:
    """Every file the conversion reads, by what it is: none of them may be an output."""
    return {
        "model": request.model,
        "`data`": request.data,
        "`fit`": request.fit,
        "`at_row`": request.at_row[0] if request.at_row else None,
        "`at_mean`": request.at_mean,
        "`at_points`": request.at_points,
        "`gaussian`": request.gaussian,
    }


def _check_finite(polynomial: Polynomial, request: ConversionRequest) -> None:
    """Refuse a polynomial whose coefficients overflowed float64, saying which options drive the size."""
    bad = polynomial.first_nonfinite()
    if bad is not None:
        output, term = bad
        raise MethodError(
            f"{request.model}: the expansion overflowed float64 (output '{polynomial.outputs[output]}', term "
            f"{polynomial.term_names()[term]} is {polynomial.coefficients[output, term]}); lower `order`, or bring the "
            "point (`at`, `taylor_center`) or the input scale closer to 0"
        )


def convert(request: ConversionRequest) -> Conversion:
    """Load the model, expand it with the chosen method, and write the JSON (and LaTeX/SymPy) artifacts."""
    from polyx.converters.load import load_network
    from polyx.expansion.writers.artifact import artifact_text
    from polyx.expansion.polynomials.latex import render_latex
    from polyx.expansion.writers.sympy_io import render_sympy_module
    from polyx.files import write_all_atomic
    from polyx.paths import check_paths

    method = _canonical_method(request.method)
    _check_options(request, method)
    output = request.output or default_output_path(request.model)
    from polyx.expansion.methods.hidden_layers import layers_path

    layers_file = layers_path(output) if request.keep_layers else None
    check_paths({"`output`": output, "`latex`": request.latex, "`sympy`": request.sympy, "`keep_layers`": layers_file},
                _inputs(request), folders=("`data`", "`fit`", "`at_row`", "`at_mean`", "`at_points`"))
    network, sigmoid = _output_link(load_network(request.model, request.model_output), request)
    parameters, names = _PARAMETERS[method](request, network)
    if sigmoid and method == "taylor":
        parameters["logits"] = False  # the sigmoid is already cut off, or the probability is asked for
    standardization = _standardization(request, network, parameters)
    try:
        with np.errstate(all="ignore"):  # an overflow is reported once, below, not as numpy warnings
            if request.at_points is not None:
                polynomial = _expand_at_points(network, request, parameters, names)
            else:
                polynomial = _expand_in_units(network, method, request, parameters, standardization)
    except MethodError as error:
        raise MethodError(f"{request.model}: {error}") from None
    _check_finite(polynomial, request)
    polynomial = _sigmoid_record(polynomial, sigmoid, request.logits) if sigmoid else _logits_note(polynomial, method, request)
    renamed = _written_names(names, network)
    if renamed:
        polynomial = polynomial.relabelled(variables=tuple(renamed))
    rendered = [(output, artifact_text(polynomial, output))]
    if request.latex:
        rendered.append((request.latex, render_latex(polynomial, request.digits, request.threshold)))
    if request.sympy:
        rendered.append((request.sympy, render_sympy_module(polynomial)))
    if layers_file is not None:
        rendered.append((layers_file, _hidden_layers_text(network, method, request, parameters, standardization,
                                                          renamed, layers_file)))
    return Conversion(polynomial, write_all_atomic(rendered))


def _hidden_layers_text(network: Network, method: str, request: ConversionRequest, parameters: dict[str, Any],
                        standardization: "Standardization | None", renamed: list[str] | None, path: Path) -> str:
    """Every hidden layer's polynomial (``--keep-layers``): each prefix network expanded exactly like the whole."""
    from polyx.expansion.writers.artifact import artifact_text
    from polyx.expansion.methods.hidden_layers import layers_text, prefix_networks

    blocks = []
    for name, prefix in prefix_networks(network):
        local = dict(parameters)
        if isinstance(local.get("taylor_orders"), (list, tuple)):
            local["taylor_orders"] = list(local["taylor_orders"])[: len(prefix.layers)]
        try:
            with np.errstate(all="ignore"):
                hidden = _expand_in_units(prefix, method, request, local, standardization)
        except MethodError as error:
            raise MethodError(f"{request.model}: `keep_layers`, {name}: {error}") from None
        _check_finite(hidden, request)
        outputs = tuple(f"{name}_{j + 1}" for j in range(len(hidden.outputs)))
        hidden = hidden.relabelled(outputs=outputs, **({"variables": tuple(renamed)} if renamed else {}))
        blocks.append((name, prefix, hidden))
    return layers_text(blocks, lambda polynomial: artifact_text(polynomial, path))


def _standardization(request: ConversionRequest, network: Network, parameters: dict[str, Any]) -> "Standardization | None":
    """μ and σ of z = (x − μ)/σ: ``--center``/``--scale`` as given (a missing one is 0 or 1), else the
    data's (``--data``; a ``--fit`` alone keeps its own coordinates, its fits are taken over the data's
    range already), else the Gaussian's; None when nothing gives them."""
    from polyx.expansion.polynomials.units import Standardization, expand_to, from_rows

    size = network.input_size
    if request.center is not None or request.scale is not None:
        center = expand_to(request.center if request.center is not None else 0.0, size, "center")
        scale = expand_to(request.scale if request.scale is not None else 1.0, size, "scale")
        if (scale <= 0).any():
            raise DataError("`scale` must list positive numbers (the spread of each input), e.g. 2,3,4,5")
        return Standardization(center, scale, "the given centre and scale")
    rows = parameters.get("data")
    if isinstance(rows, np.ndarray):
        return from_rows(rows, f"mean and standard deviation of {parameters.get('data_source') or request.data}")
    if "mean" in parameters and "cov" in parameters:
        cov = np.atleast_2d(parameters["cov"])
        return Standardization(parameters["mean"], np.sqrt(np.clip(np.diag(cov), 1e-300, None)),
                               f"mean and standard deviation of {request.gaussian}")
    return None


def _expand_in_units(network: Network, method: str, request: ConversionRequest, parameters: dict[str, Any],
                     standardization: "Standardization | None") -> Polynomial:
    """Expand, in standardised coordinates where that changes the answer, and write the units asked for.

    nn2poly truncates powers of its variables at degree Q, so it is expanded in z (the data rows
    standardised too) and mapped back exactly; the local Taylor and least-squares polynomials do
    not depend on the coordinates (an affine change of variables maps degree-Q polynomials onto
    themselves), so they are expanded as they are and only converted for ``--units standardized``.
    """
    from polyx.expansion.methods.expand import expand
    from polyx.expansion.methods.standardized_input import standardized_network
    from polyx.expansion.polynomials.units import raw_to_standardized, standardized_to_raw

    if request.units == "standardized" and standardization is None:
        raise DataError("`units` standardized needs the inputs' centre and scale: give `data`, `center`/`scale` "
                        "(or, for lsq, `gaussian`)")
    if method == "nn2poly" and standardization is not None and not standardization.is_identity:
        parameters = dict(parameters)
        for key in ("data", "fit"):
            if parameters.get(key) is not None:
                parameters[key] = standardization.apply(parameters[key])
        model = standardized_network(network, standardization)
        polynomial = expand(model, method, request.order, max_memory=request.max_memory, **parameters)
        polynomial = polynomial.relabelled(provenance=_provenance(network))
        expanded_in = "standardized"
    else:
        polynomial = expand(network, method, request.order, max_memory=request.max_memory, **parameters)
        expanded_in = "raw"
        if method == "nn2poly":
            _origin_warning(polynomial, parameters, request.order, request)
    if standardization is None:
        return polynomial
    if expanded_in == "standardized" and request.units == "raw":
        polynomial = standardized_to_raw(polynomial, standardization)
    elif expanded_in == "raw" and request.units == "standardized":
        polynomial = raw_to_standardized(polynomial, standardization)
    method_record = dict(polynomial.method, units=request.units, expanded_in=expanded_in,
                         standardization=standardization.record())
    return polynomial.relabelled(method=method_record)


def _output_link(network: Network, request: ConversionRequest) -> tuple[Network, bool]:
    """A binary classifier's final sigmoid is cut off with ``--logits`` (the logit is expanded), kept otherwise."""
    from polyx.expansion.methods.sigmoid_output import ends_in_sigmoid, without_final_sigmoid

    if not ends_in_sigmoid(network):
        return network, False
    return (without_final_sigmoid(network) if request.logits else network), True


def _sigmoid_record(polynomial: Polynomial, sigmoid: bool, logits: bool) -> Polynomial:
    """Say in the artifact what a sigmoid classifier's polynomial stands for, so verify compares like with like."""
    method = dict(polynomial.method, output_space="logits" if logits else "probabilities")
    provenance = dict(polynomial.provenance, output_activation="sigmoid")
    return polynomial.relabelled(method=method, provenance=provenance)


def _logits_note(polynomial: Polynomial, method: str, request: ConversionRequest) -> Polynomial:
    """``--logits`` on a network with no sigmoid or softmax output changes nothing: say so, do not fail."""
    if request.logits and method != "taylor" and polynomial.provenance.get("output_activation") is None:
        polynomial.diagnostics.setdefault("warnings", []).append(
            "the network has no sigmoid or softmax output: `logits` changes nothing")
    return polynomial


def _provenance(network: Network) -> dict[str, Any]:
    from polyx.expansion.methods.expand import provenance_of

    return provenance_of(network)


ORIGIN_WARNING_SD = 2.0
"""How far (in the data's standard deviations) the data's mean may lie from x = 0 before a raw nn2poly
expansion is flagged: beyond that the truncated powers of x, not the activations, dominate the error."""


def _origin_warning(polynomial: Polynomial, parameters: dict[str, Any], order: int, request: ConversionRequest) -> None:
    """Say so when a raw nn2poly Taylor expansion is checked on data far from x = 0 (the issue-17 failure
    mode). A ``--fit`` polynomial is fitted over the data's own range, so its truncation is not the problem."""
    from polyx.expansion.polynomials.units import origin_distance

    rows = parameters.get("data")
    if rows is None or parameters.get("fit") is not None:
        return
    distance, worst = origin_distance(rows)
    polynomial.diagnostics["origin_distance"] = {"standard_deviations": distance, "input": worst + 1}
    if distance > ORIGIN_WARNING_SD:
        fix = ("drop `center` 0 and `scale` 1 to expand in the data's standardised coordinates"
               if request.center is not None or request.scale is not None else
               "give `center`/`scale` (the inputs' typical value and spread) to expand where the data is")
        polynomial.diagnostics.setdefault("warnings", []).append(
            f"the data's mean lies {distance:.3g} standard deviations from x = 0 (input {worst + 1}), where the powers "
            f"of x are truncated at degree {order}: truncation far from the origin, not the activation region, limits "
            f"this polynomial; {fix}"
        )


def _expand_at_points(network: Network, request: ConversionRequest, parameters: dict[str, Any],
                      names: list[str] | None) -> Polynomial:
    """``--at-points``: a Taylor expansion at every row, compared term by term (``polyx.expansion.analysis.point_agreement``)."""
    from polyx.expansion.analysis.point_agreement import DEFAULT_AGREEMENT_TOLERANCE, expand_at_points

    options = {key: value for key, value in parameters.items() if key not in ("at", "at_source", "centered", "seed")}
    tolerance = request.agreement_tolerance if request.agreement_tolerance is not None else DEFAULT_AGREEMENT_TOLERANCE
    return expand_at_points(network, parameters["at"], request.order, tolerance, parameters["at_source"],
                            _written_names(names, network), max_memory=request.max_memory, **options)


def read_gaussian(path: Path) -> tuple[np.ndarray, np.ndarray] | dict[str, Any]:
    """A Gaussian input model from ``{"mean": [...], "cov": [[...]]}`` (lsq's answer to "which inputs?"),
    or a Gaussian mixture from ``{"weights": [...], "means": [[...]], "covs": [[[...]]]}`` (returned as
    that dict, checked against the network by ``polyx.expansion.methods.mixture.mixture_from_spec``)."""
    from polyx.paths import require_input

    expected = 'write {"mean": [...], "cov": [[...]]} or a mixture {"weights": [...], "means": [...], "covs": [...]}'
    require_input(path, "Gaussian")
    try:
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such Gaussian file; give a JSON file with 'mean' and 'cov'") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read the Gaussian file ({error.strerror or error}); give a JSON file with 'mean' and 'cov'") from None
    except ValueError as error:
        raise DataError(f"{path}: not a Gaussian spec ({error}); {expected}") from None
    except RecursionError:
        raise DataError(f"{path}: not a Gaussian spec (JSON nested too deeply); {expected}") from None
    if isinstance(spec, dict) and {"weights", "means", "covs"} <= set(spec):
        extra = sorted(set(spec) - {"weights", "means", "covs"})
        if extra:
            raise DataError(f"{path}: unknown field '{extra[0]}' in a mixture spec; {expected}")
        return {key: spec[key] for key in ("weights", "means", "covs")}
    if not isinstance(spec, dict) or "mean" not in spec or "cov" not in spec:
        raise DataError(f"{path}: not a Gaussian spec (a JSON object with 'mean' and 'cov' is expected); {expected}")
    try:
        return np.asarray(spec["mean"], dtype=np.float64), np.asarray(spec["cov"], dtype=np.float64)
    except (ValueError, TypeError) as error:
        raise DataError(f"{path}: not a Gaussian spec ({error}); {expected}") from None
