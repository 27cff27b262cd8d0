"""The expansion methods polyx has, described once: ``polyx.expand``, ``polyx convert`` and ``polyx demo`` read them here.

Each ``MethodSpec`` lists the parameters its implementation takes (beyond the network and the
order), with kind, default, range and the ``polyx convert`` options that give them, and the
entries the method writes to ``diagnostics``. The defaults are the implementations' own
(``tests/test_method_spec.py`` compares them with the functions' signatures). Adding a method
or an option: see docs/development.md, "Adding a method or a method option".
"""

from __future__ import annotations

from polyx.expansion.kernel.budget import DEFAULT_MAX_MEMORY
from polyx.expansion.methods.spec import DiagnosticSpec, MethodSpec, OptionSpec

__all__ = ["METHOD_SPECS", "ALIASES", "MAX_TAYLOR_ORDER", "MAX_SEED", "method_spec", "canonical_method"]

MAX_TAYLOR_ORDER = 64
"""The highest Taylor order accepted: far past nn2poly's default of 8, and low enough that computing the
series stays cheap; an order like 1e30 would exhaust memory before the expansion's memory guard runs."""

MAX_SEED = 2**32 - 1
"""Seeds are 0 … 2³²−1: numpy's classic seed range, and exact in every JSON reader (see ``polyx.cli.options``)."""

_MAX_MEMORY = OptionSpec("max_memory", "int", DEFAULT_MAX_MEMORY, "Bytes the expansion may use before it is refused.",
                         minimum=1)
_WARNINGS = DiagnosticSpec("warnings", list, "Sentences the user should read before trusting the polynomial.")
_R2 = (
    DiagnosticSpec("r2", list, "Per output: the share of the network's variance the polynomial explains."),
    DiagnosticSpec("r2_kind", str, "How r2 was obtained: analytic or held-out."),
    DiagnosticSpec("output_variance", list, "Per output: the network's variance under the input model."),
    DiagnosticSpec("explained_variance", list, "Per output: the variance the polynomial explains."),
)
_CONVERT = (
    DiagnosticSpec("origin_distance", dict, "polyx convert: how far the data's mean lies from x = 0, in standard deviations."),
    DiagnosticSpec("agreement", dict, "polyx convert at several points: how far the local polynomials agree, per term."),
    DiagnosticSpec("local", list, "polyx convert at several points: each point's local polynomial."),
)

NN2POLY = MethodSpec(
    name="nn2poly",
    title="global Taylor",
    aliases=("global",),
    summary="global Taylor expansion, every activation truncated (nn2poly)",
    options=(
        OptionSpec("taylor_orders", "orders", None, "Taylor order of every non-linear layer, or one per layer; "
                   "default 8, with fit the order.", minimum=1, maximum=MAX_TAYLOR_ORDER, set_by=("taylor_orders",)),
        OptionSpec("taylor_center", "float", 0.0, "Point every activation is expanded around.", set_by=("taylor_center",)),
        OptionSpec("fit", "rows", None, "Input rows: fit each activation over the range its neuron reaches on them.",
                   set_by=("fit",), source="fit_source"),
        OptionSpec("fit_margin", "float", 0.05, "Share added to each side of a fitted range.", minimum=0.0),
        OptionSpec("data", "rows", None, "Input rows for the per-layer validity and the R² against the network.",
                   set_by=("data",), source="data_source"),
        OptionSpec("fit_source", "text", None, "Where the fit rows came from (recorded in the artifact)."),
        OptionSpec("data_source", "text", None, "Where the data rows came from (recorded in the artifact)."),
        _MAX_MEMORY,
    ),
    diagnostics=(
        DiagnosticSpec("degree_after_layer", list, "The degree the expansion keeps after each layer."),
        DiagnosticSpec("degree_after_node", list, "A graph: the degree kept after each node."),
        DiagnosticSpec("data", dict, "The rows the diagnostics were computed on: source and count."),
        DiagnosticSpec("layers", list, "Per layer: how much of the rows' pre-activations lie where the series holds."),
        DiagnosticSpec("r2_vs_network", dict, "R² of the polynomial (and of the plain Taylor one) against the network."),
        _WARNINGS, *_CONVERT,
    ),
    recorded=("order", "taylor_orders"),
)

TAYLOR = MethodSpec(
    name="taylor",
    title="exact local Taylor at a point",
    aliases=("hope",),
    summary="exact local Taylor polynomial at a point x0 (HOPE)",
    options=(
        OptionSpec("at", "point", None, "The reference point x0, one value per input (required).",
                   set_by=("at", "at_row", "at_mean", "at_points", "agreement_tolerance")),
        OptionSpec("centered", "bool", False, "Write powers of (x − x0) instead of x.", set_by=("centered",)),
        OptionSpec("logits", "bool", False, "Expand a softmax classifier's logits instead of its probabilities.",
                   set_by=("logits",)),
        OptionSpec("terms", "choice", "all", "'diagonal': only the pure powers of each input.",
                   choices=("all", "diagonal"), set_by=("terms",)),
        OptionSpec("max_interaction", "int", None, "Keep monomials with at most this many distinct inputs.",
                   minimum=1, set_by=("max_interaction",)),
        OptionSpec("validity_tolerance", "float", None, "Error allowed within the validity radius, × max(1, |f(x0)|); "
                   "default 1e-3.", minimum=0.0, set_by=("validity_tolerance",)),
        OptionSpec("validity_samples", "int", 16, "Points per radius of the validity check (0 skips it).", minimum=0),
        OptionSpec("seed", "int", 0, "Seed of the validity points.", minimum=0, maximum=MAX_SEED, set_by=("seed",)),
        OptionSpec("at_source", "text", None, "Where x0 came from (a CSV row, a mean), recorded beside it."),
        _MAX_MEMORY,
    ),
    diagnostics=(
        DiagnosticSpec("value_at_reference", list, "The network's outputs at x0."),
        DiagnosticSpec("exact", str, "Which derivatives the polynomial holds exactly (all, or only the kept terms')."),
        DiagnosticSpec("kinks", dict, "ReLU-like activations: the distance from x0 to the nearest kink."),
        DiagnosticSpec("validity", dict, "The radius around x0 within which the polynomial meets the tolerance."),
        DiagnosticSpec("convergence", dict, "Ratios of successive derivatives: whether the series still converges."),
        _WARNINGS, *_CONVERT,
    ),
    recorded=("order", "at", "centered", "terms", "max_interaction"),
)

LSQ = MethodSpec(
    name="lsq",
    title="least squares",
    summary="least squares under a Gaussian input model (Belrose & Rigg)",
    options=(
        OptionSpec("mean", "vector", None, "Mean of the Gaussian input model (default 0).", set_by=("gaussian",)),
        OptionSpec("cov", "matrix", None, "Covariance of the Gaussian input model (default I).", set_by=("gaussian",)),
        OptionSpec("mixture", "mixture", None, "A Gaussian mixture input model.", set_by=("gaussian",)),
        OptionSpec("components", "int", None, "Fit a mixture of this many Gaussians to data.", minimum=1,
                   set_by=("mixture",)),
        OptionSpec("data", "rows", None, "Input rows: the Gaussian is fitted to them (and deeper networks are fitted "
                   "on them).", set_by=("data",), source="input_source"),
        OptionSpec("samples", "int", None, "Monte-Carlo draws for the fit of deeper networks.", minimum=1,
                   set_by=("samples",)),
        OptionSpec("seed", "int", 0, "Seed of the Monte-Carlo draws.", minimum=0, maximum=MAX_SEED, set_by=("seed",)),
        OptionSpec("check_samples", "int", 0, "Monte-Carlo draws that check the closed form's R² (0: none).",
                   minimum=0, set_by=("check_samples",)),
        OptionSpec("input_source", "text", None, "Where the input model came from (recorded in the artifact)."),
        OptionSpec("input_names", "names", None, "The inputs' names in messages (a CSV's columns)."),
        OptionSpec("centered", "bool", None, "Write powers of (x − μ) (True) or of x (False); default: x unless "
                   "that cancels too many digits."),
        _MAX_MEMORY,
    ),
    diagnostics=(
        *_R2,
        DiagnosticSpec("r2_check", dict, "A Monte-Carlo estimate of the closed form's R², with its standard error."),
        DiagnosticSpec("held_out_rows", int, "The empirical fit: rows held out for its R²."),
        DiagnosticSpec("basis_terms", int, "The empirical fit: monomials in its basis."),
        DiagnosticSpec("basis_rank", int, "The empirical fit: rank of its design (below basis_terms: minimum-norm fit)."),
        DiagnosticSpec("hidden_neurons", int, "The closed form: neurons in the hidden layer."),
        DiagnosticSpec("preactivation_std_range", list, "The closed form: smallest and largest pre-activation spread."),
        DiagnosticSpec("centering", dict, "How many digits writing the polynomial in powers of x may cancel."),
        DiagnosticSpec("components", int, "A mixture input model: its number of Gaussians."),
        DiagnosticSpec("gram_condition", float, "A mixture input model: condition number of its Gram matrix."),
        _WARNINGS, *_CONVERT,
    ),
    recorded=("order",),
)

METHOD_SPECS: dict[str, MethodSpec] = {spec.name: spec for spec in (NN2POLY, TAYLOR, LSQ)}
"""Every method by its canonical name, in the order the CLI lists them."""

ALIASES: dict[str, str] = {alias: spec.name for spec in METHOD_SPECS.values() for alias in spec.aliases}
"""Other names a method answers to ('hope' → 'taylor')."""


def canonical_method(name: str) -> str:
    """The method's canonical name ('hope' → 'taylor'), or a MethodError listing every name."""
    from polyx.errors import MethodError

    method = ALIASES.get(name, name)
    if method not in METHOD_SPECS:
        raise MethodError(f"unknown method '{name}'; choose one of {', '.join([*METHOD_SPECS, *ALIASES])}")
    return method


def method_spec(name: str) -> MethodSpec:
    """The description of the named method (an alias works too)."""
    return METHOD_SPECS[canonical_method(name)]
