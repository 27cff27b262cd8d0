"""``polyx demo``: the whole tool on a model and data that ship inside the package.

The sample is ``polynomial4_tanh_l1.onnx``, a 4-16-1 tanh network trained (with nn2poly's weight
constraint) on ``polynomial4.csv``, whose target is a known polynomial. The demo converts the
network with every expansion method polyx has, verifies each polynomial against the network
under onnxruntime with a gate, exports the best one to ONNX, and returns everything so the CLI
can show which terms each method found beside the true ones. It writes only into ``out`` or into
a temporary folder it removes, so it works from any directory, including read-only ones.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import numpy as np

from polyx.gates import DEFAULT_MIN_R2
from polyx.errors import DataError
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.verification import VerificationReport

__all__ = ["SAMPLE_MODEL", "SAMPLE_DESCRIPTION", "SAMPLE_DATA", "ORDER", "MIN_R2", "MethodRun", "TermRow", "Demo", "run_demo"]

SAMPLE_MODEL = "polynomial4_tanh_l1.onnx"
SAMPLE_DESCRIPTION = "a 4-16-1 tanh network trained with nn2poly's weight constraint"
SAMPLE_DATA = "polynomial4.csv"
TARGET = "y"
ORDER = 4
MIN_R2 = DEFAULT_MIN_R2  # the demo is gated as `polyx verify` is by default

SAMPLE_OPTIONS: dict[str, tuple[Callable[[Path], dict[str, Any]], str]] = {
    "nn2poly": (lambda data: {}, "at 0"),
    "taylor": (lambda data: {"at_mean": data}, "x0 = the data mean"),
    "lsq": (lambda data: {"data": data}, "the Gaussian fitted to the data"),
}
"""What the sample needs beyond each method's defaults (``convert`` options, by method), and what they
say; every method of ``polyx.expansion.methods.catalog.METHOD_SPECS`` is run, described by its summary."""


def _plans(data: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, description, convert options) for every described method, the options checked against its description."""
    from polyx.expansion.methods.catalog import METHOD_SPECS

    plans = []
    for name, spec in METHOD_SPECS.items():
        given, where = SAMPLE_OPTIONS.get(name, (lambda _: {}, ""))
        options = given(data)
        unknown = set(options) - spec.request_fields()
        if unknown:
            raise ValueError(f"the demo gives {name} options it does not take: {sorted(unknown)}")
        plans.append((name, f"{spec.summary}, here {where}" if where else spec.summary, options))
    return plans


@dataclass(frozen=True)
class MethodRun:
    """One method's polynomial, its artifact, its verification and how long the conversion took."""

    method: str
    description: str
    polynomial: Polynomial
    artifact: Path
    report: VerificationReport
    seconds: float


@dataclass(frozen=True)
class TermRow:
    """One term with its true coefficient (None if the target has no such term) and each method's."""

    term: str
    truth: float | None
    coefficients: dict[str, float]


@dataclass(frozen=True)
class Demo:
    """What ``polyx demo`` did; ``folder`` is None when the files went to a removed temporary folder."""

    model: str
    data: str
    formula: str
    rows: int
    runs: list[MethodRun]
    export: dict
    folder: Path | None
    truth: Polynomial

    @property
    def passed(self) -> bool:
        """Every method's polynomial passed its gate."""
        return all(run.report.passed for run in self.runs)

    def term_rows(self, top: int = 6) -> list[TermRow]:
        """The true terms and each method's ``top`` largest, in graded order: what each method found."""
        wanted = set(self.truth.term_names())
        for run in self.runs:
            names = run.polynomial.term_names()
            wanted.update(names[t] for t in run.polynomial.top_terms(top))
        order = {name: i for i, name in enumerate(self.runs[0].polynomial.term_names())} if self.runs else {}
        truth = dict(zip(self.truth.term_names(), self.truth.coefficients[0]))
        rows = []
        for name in sorted(wanted, key=lambda n: order.get(n, len(order))):
            found = {run.method: _coefficient(run.polynomial, name) for run in self.runs}
            rows.append(TermRow(name, float(truth[name]) if name in truth else None, found))
        return rows


def _coefficient(poly: Polynomial, name: str) -> float:
    names = poly.term_names()
    return float(poly.coefficients[0, names.index(name)]) if name in names else 0.0


def _copy_sample(name: str, folder: Path) -> Path:
    """A packaged sample file copied into the demo folder, so artifacts can name it relative to themselves."""
    from polyx.files import write_atomic

    return write_atomic(folder / name, resources.files("polyx.sample_models").joinpath(name).read_bytes())


def _target_formula() -> str:
    manifest = json.loads(resources.files("polyx.sample_models").joinpath("manifest.json").read_text(encoding="utf-8"))
    return str(manifest["data"][SAMPLE_DATA]["formula"])


def _truth(formula: str, variables: tuple[str, ...]) -> Polynomial:
    """The data's generating polynomial, read from the manifest's formula 'y = …, x ~ …'."""
    import sympy

    from polyx.expansion.writers.sympy_io import sympy_to_polynomial

    expression = sympy.sympify(formula.split("=", 1)[1].split(",", 1)[0])
    return sympy_to_polynomial(expression, list(variables), [TARGET], method={"name": "truth"})


def _run_method(method: str, description: str, options: dict[str, Any], model: Path, data: Path) -> MethodRun:
    from polyx.conversion import ConversionRequest, convert
    from polyx.gates import gates_or_default
    from polyx.verification import verify

    artifact = model.parent / f"{model.stem}.{method}.poly.json"
    started = time.perf_counter()
    conversion = convert(ConversionRequest(model=model, method=method, order=ORDER, output=artifact,
                                           exclude=(TARGET,), **options))
    seconds = time.perf_counter() - started
    report = verify(data, artifact, target=TARGET, gates=gates_or_default([]))
    return MethodRun(method, description, conversion.polynomial, artifact, report, seconds)


def _export_best(runs: list[MethodRun], data: Path) -> dict:
    """Export the polynomial closest to the network and check the ONNX file against it on the data."""
    from polyx.converters.onnx.runtime import OnnxRunner
    from polyx.expansion.writers.onnx_export import export_polynomial
    from polyx.tabular import read_table

    best = max(runs, key=lambda run: run.report.outputs[0].r2 or -np.inf)
    exported = export_polynomial(best.artifact, best.artifact.with_suffix(".onnx"))
    x, _, _ = read_table(data, expected_inputs=len(best.polynomial.variables), exclude=(TARGET,),
                         variable_names=best.polynomial.variables)
    values = OnnxRunner(exported.path).run(x)
    reference = best.polynomial.evaluate(x.astype(np.float32).astype(np.float64))
    return {"method": best.method, "path": exported.path, "input_name": exported.input_name,
            "output_name": exported.output_name, "max_abs_vs_polynomial": float(np.abs(values - reference).max())}


def _demo_in(folder: Path, kept: bool) -> Demo:
    model, data = _copy_sample(SAMPLE_MODEL, folder), _copy_sample(SAMPLE_DATA, folder)
    runs = [_run_method(name, description, options, model, data) for name, description, options in _plans(data)]
    formula = _target_formula()
    return Demo(
        model=SAMPLE_MODEL,
        data=SAMPLE_DATA,
        formula=formula,
        rows=runs[0].report.data["rows"],
        runs=runs,
        export=_export_best(runs, data),
        folder=folder if kept else None,
        truth=_truth(formula, runs[0].polynomial.variables),
    )


def _refuse_overwriting_samples(folder: Path) -> None:
    """``--out`` must not be where the packaged samples live: the demo's files would replace them."""
    from polyx.paths import check_paths

    samples = resources.files("polyx.sample_models")
    names = (SAMPLE_MODEL, SAMPLE_DATA)
    check_paths({f"`out` file {name}": folder / name for name in names}, {f"packaged sample {name}": Path(str(samples.joinpath(name))) for name in names})


def run_demo(out: str | Path | None = None) -> Demo:
    """Convert, verify and export the packaged sample with every method; files go to ``out`` or nowhere.

    ``out`` is created if needed; without it the files live in a temporary folder for the run only.
    """
    if out is None:
        with tempfile.TemporaryDirectory(prefix="polyx-demo-") as folder:
            return _demo_in(Path(folder), kept=False)
    folder = Path(out)
    if folder.is_dir():
        _refuse_overwriting_samples(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataError(f"`out` {folder}: cannot create the folder ({error.strerror}); choose another path") from None
    return _demo_in(folder, kept=True)
