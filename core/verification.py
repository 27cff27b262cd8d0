"""Does a polynomial still stand for its network? Both run on the same CSV rows, compared, gated.

The network side is always the original ONNX file under onnxruntime (never polyx's own reading of
it), the rows are streamed so any file size fits in bounded memory, and the metrics are computed
from compensated sums so they equal the whole-array numbers (see ``polyx.metrics``).

What is compared with what, for a network that ends in softmax: the polynomial is taken to stand
for the logits (the nn2poly convention polyx follows: the logits are expanded) unless its artifact
says otherwise with ``"output_space": "probabilities"`` in ``method``, ``diagnostics`` or
``provenance``. Logits are then compared with the file's own logits (the input of its final
Softmax or LogSoftmax node, run by onnxruntime), and softmax(polynomial) with the file's
probabilities (exp of a LogSoftmax's output) as a second, ungated block; ``compare="probabilities"`` gates the probabilities instead. Argmax
agreement is reported for every classifier: a softmax network, a polynomial declared as logits,
or any model with two or more outputs when an argmax gate is asked for.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from polyx.converters.ir.chain import softmax_rows
from polyx.errors import ArtifactError, DataError, ModelLoadError
from polyx.expansion.methods.records import method_record
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.files import file_sha256, write_all_atomic
from polyx.paths import check_paths
from polyx.gates import FINITE_GATE, Gate, GateResult
from polyx.junit import report_to_junit
from polyx.metrics import AgreementAccumulator, ErrorAccumulator, ErrorMetrics
from polyx.reference import ReferenceNetwork
from polyx.tabular import DEFAULT_CHUNK_ROWS, DataTable, open_table

__all__ = [
    "VerificationReport",
    "verify",
    "verify_polynomial",
    "write_reports",
    "find_polynomial",
    "resolve_model",
    "file_sha256",
    "REPORT_FORMAT",
    "ComparisonPlan",
    "comparison_plan",
    "values_in_space",
    "verify_partition",
    "PartitionResult",
]

REPORT_FORMAT = "polyx.verification/1"
POLYNOMIAL_SUFFIX = ".poly.json"
Progress = Callable[[int, "int | None"], None]


@dataclass(frozen=True)
class VerificationReport:
    """Everything ``polyx verify`` measured; ``to_dict()`` is the ``--json``/``--report`` document.

    ``outputs`` holds the gated comparison (in the space named by ``compared``); ``secondary``
    the other space of a softmax classifier, for information.
    """

    compared: str
    outputs: list[ErrorMetrics]
    gates: list[GateResult]
    data: dict
    polynomial: dict
    model: dict
    secondary: dict | None = None
    classification: dict | None = None
    target: dict | None = None
    seconds: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every gate passed: the exit code 0 condition."""
        return all(gate.passed for gate in self.gates)

    @property
    def failed_gates(self) -> list[GateResult]:
        """The gates that failed, in report order."""
        return [gate for gate in self.gates if not gate.passed]

    def to_dict(self) -> dict:
        """The report as plain JSON-ready data (format ``polyx.verification/1``)."""
        return {
            "format": REPORT_FORMAT,
            "passed": self.passed,
            "compared": self.compared,
            "outputs": [metrics.to_dict() for metrics in self.outputs],
            "gates": [gate.to_dict() for gate in self.gates],
            "secondary": self.secondary,
            "classification": self.classification,
            "target": self.target,
            "data": self.data,
            "polynomial": self.polynomial,
            "model": self.model,
            "seconds": self.seconds,
            "notes": self.notes,
        }

    def to_json(self) -> str:
        """The report as JSON text (strict: no NaN or Infinity, which CI parsers reject)."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"


def find_polynomial(folder: Path) -> Path:
    """The single ``*.poly.json`` in ``folder``, so ``polyx convert m.onnx && polyx verify d.csv`` works."""
    found = sorted(folder.glob(f"*{POLYNOMIAL_SUFFIX}"))
    if len(found) == 1:
        return found[0]
    if not found:
        raise ArtifactError(
            f"no *{POLYNOMIAL_SUFFIX} file in {folder.resolve()}; pass `poly` P.json or make one with polyx convert MODEL"
        )
    names = ", ".join(path.name for path in found)
    raise ArtifactError(f"several polynomials in {folder.resolve()} ({names}); choose one with `poly`")


def resolve_model(provenance: dict, poly_path: Path, model: Path | None) -> tuple[Path, str | None]:
    """The model file to run and the sha256 the polynomial recorded for it.

    Without ``model`` the provenance source is used (relative to the polynomial's folder, else
    to the working directory) and must match the recorded sha256: verifying against a model that
    changed since the conversion would prove nothing. An explicit ``model`` is the user's choice.
    """
    expected = provenance.get("sha256")
    if model is not None:
        return model, expected
    source = provenance.get("source")
    if not source:
        raise ArtifactError(f"{poly_path}: its provenance names no source model; pass `model` MODEL.onnx")
    candidates = [Path(source)] if Path(source).is_absolute() else [poly_path.parent / source, Path(source)]
    path = next((candidate for candidate in candidates if candidate.is_file()), None)
    if path is None:
        raise ModelLoadError(
            f"{poly_path}: its source model '{source}' is not at {candidates[0]}; pass `model` MODEL.onnx"
        )
    if expected and file_sha256(path) != expected:
        raise ModelLoadError(
            f"{path}: changed since {poly_path.name} was made (sha256 differs from its provenance); "
            "convert it again, or pass `model` to verify against this file anyway"
        )
    return path, expected


@dataclass(frozen=True)
class ComparisonPlan:
    """Which spaces are compared: decided once from the file, the artifact and the options."""

    poly_space: str
    compared: str
    secondary: str | None
    classifier: bool
    declared: bool = False
    """True when the artifact itself says which space the polynomial stands for (``output_space``)."""
    threshold: float | None = None
    """A sigmoid classifier's probability threshold: its classes are p ≥ threshold (one output)."""

    def classes(self, poly: np.ndarray, outputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(polynomial, network) class labels per row: argmax, or for a sigmoid classifier p ≥ threshold
        (the polynomial's logit ≥ log(t / (1 − t)), the same classes without overflowing a sigmoid)."""
        if self.threshold is None:
            return poly.argmax(axis=1), outputs.argmax(axis=1)
        from polyx.expansion.methods.sigmoid_output import logit

        cut = logit(self.threshold) if self.poly_space == "logits" else self.threshold
        return (poly[:, 0] >= cut).astype(np.int64), (outputs[:, 0] >= self.threshold).astype(np.int64)


def _declared_space(polynomial: Polynomial) -> str | None:
    for block in (polynomial.method, polynomial.diagnostics, polynomial.provenance):
        space = block.get("output_space") if isinstance(block, dict) else None
        if space is not None:
            if space not in ("logits", "probabilities", "outputs"):
                raise ArtifactError(f"unknown output_space '{space}' in the polynomial; expected logits or probabilities")
            return str(space)
    return None


def comparison_plan(network: ReferenceNetwork, polynomial: Polynomial, compare: str | None, argmax_gate: bool,
                    threshold: float | None = None) -> ComparisonPlan:
    """Decide what is compared with what (logits, probabilities or plain outputs), so that verify and
    the diagonal plot never compare a polynomial of logits with a network's probabilities."""
    sigmoid = network.output_activation == "sigmoid" or polynomial.provenance.get("output_activation") == "sigmoid"
    if threshold is not None and not sigmoid:
        raise DataError(f"`threshold` applies to a binary classifier that ends in a sigmoid; {network.path} does not")
    if sigmoid:
        return replace(_softmax_plan(network, polynomial, compare, argmax_gate),
                       threshold=0.5 if threshold is None else threshold)
    return _softmax_plan(network, polynomial, compare, argmax_gate)


def _softmax_plan(network: ReferenceNetwork, polynomial: Polynomial, compare: str | None, argmax_gate: bool) -> ComparisonPlan:
    softmax = network.ends_in_softmax or polynomial.provenance.get("output_activation") is not None
    declared = _declared_space(polynomial)
    poly_space = declared or ("logits" if softmax else "outputs")
    if not softmax:
        if compare is not None:
            raise DataError(f"`compare` {compare}: {network.path} does not end in softmax; drop `compare`")
        many = network.output_size >= 2
        if argmax_gate and not many:
            raise DataError("the argmax_agreement gate (`gate_argmax_agreement`) needs a model with two or more outputs (one per class)")
        return ComparisonPlan(poly_space, "outputs", None, poly_space == "logits" or (argmax_gate and many), bool(declared))
    if poly_space != "logits":
        if compare == "logits":
            raise DataError("`compare` logits: the polynomial stands for probabilities, not logits")
        return ComparisonPlan(poly_space, "probabilities", None, True, bool(declared))
    if compare == "logits" and not network.ends_in_softmax:
        raise DataError(
            f"`compare` logits: the logits of {network.path} cannot be read (its output is not a Softmax node); "
            "use `compare` probabilities"
        )
    compared = compare or ("logits" if network.ends_in_softmax else "probabilities")
    secondary = "probabilities" if compared == "logits" else ("logits" if network.ends_in_softmax else None)
    return ComparisonPlan(poly_space, compared, secondary, True, bool(declared))


def values_in_space(space: str, plan: ComparisonPlan, poly: np.ndarray, net: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(polynomial, network) values of a chunk in one space: the polynomial's logits go through a softmax
    when probabilities are compared."""
    if space == "probabilities" and plan.poly_space == "logits":
        if plan.threshold is not None:
            from polyx.expansion.methods.sigmoid_output import sigmoid

            return sigmoid(poly), net["outputs"]
        return softmax_rows(poly), net["outputs"]
    return poly, net["logits" if space == "logits" else "outputs"]


class _TargetScores:
    """Both models against the truth column: accuracy for a classifier, errors for one regression output."""

    def __init__(self, classifier: bool, name: str, table: DataTable, plan: ComparisonPlan | None = None) -> None:
        self.classifier = classifier
        self.plan = plan
        self.table = table
        self.column = table.header[table.target_column] if table.target_column is not None else ""
        self.network_labels, self.polynomial_labels = AgreementAccumulator(), AgreementAccumulator()
        self.network_errors, self.polynomial_errors = ErrorAccumulator([name]), ErrorAccumulator([name])

    def add(self, poly: np.ndarray, outputs: np.ndarray, target: np.ndarray, lines: np.ndarray) -> None:
        """Fold in one chunk."""
        if self.classifier:
            labels = self._class_labels(target, lines, max(outputs.shape[1], 2))
            poly_classes, network_classes = (self.plan.classes(poly, outputs) if self.plan is not None
                                             else (poly.argmax(axis=1), outputs.argmax(axis=1)))
            self.network_labels.add(network_classes, labels)
            self.polynomial_labels.add(poly_classes, labels)
        else:
            self.network_errors.add(outputs[:, :1], target[:, None], lines)
            self.polynomial_errors.add(poly[:, :1], target[:, None], lines)

    def _class_labels(self, target: np.ndarray, lines: np.ndarray, classes: int) -> np.ndarray:
        valid = (target == np.round(target)) & (target >= 0) & (target < classes)
        if not valid.all():
            row = int(np.flatnonzero(~valid)[0])
            raise DataError(
                f"{self.table.where(int(lines[row]))}, column '{self.column}': {target[row]:g} is not a class "
                f"index 0..{classes - 1}; a classifier's `target` holds class numbers"
            )
        return target.astype(np.int64)

    def merge(self, other: "_TargetScores") -> None:
        """Fold in the scores of a later partition."""
        self.network_labels.merge(other.network_labels)
        self.polynomial_labels.merge(other.polynomial_labels)
        self.network_errors.merge(other.network_errors)
        self.polynomial_errors.merge(other.polynomial_errors)

    def result(self) -> dict:
        """The ``target`` block of the report."""
        if self.classifier:
            network, polynomial = self.network_labels.result(), self.polynomial_labels.result()
            return {"column": self.column, "metric": "accuracy", "network": network, "polynomial": polynomial}
        network_metrics = self.network_errors.result()[0].to_dict()
        polynomial_metrics = self.polynomial_errors.result()[0].to_dict()
        return {"column": self.column, "metric": "error", "network": network_metrics, "polynomial": polynomial_metrics}


class _Streams:
    """The accumulators of one verification, fed chunk by chunk."""

    def __init__(self, plan: ComparisonPlan, names: list[str], table: DataTable) -> None:
        self.plan = plan
        self.primary = ErrorAccumulator(names)
        self.secondary = ErrorAccumulator(names) if plan.secondary else None
        self.agreement = AgreementAccumulator() if plan.classifier else None
        self.target = _TargetScores(plan.classifier, names[0], table, plan) if table.target_column is not None else None

    def add(self, poly: np.ndarray, net: dict[str, np.ndarray], target: np.ndarray | None, lines: np.ndarray) -> None:
        """Fold in one chunk of polynomial values and network outputs."""
        self.primary.add(*values_in_space(self.plan.compared, self.plan, poly, net), lines)
        if self.secondary is not None:
            self.secondary.add(*values_in_space(self.plan.secondary, self.plan, poly, net), lines)
        if self.agreement is not None:
            self.agreement.add(*self.plan.classes(poly, net["outputs"]))
        if self.target is not None and target is not None:
            self.target.add(poly, net["outputs"], target, lines)

    def merge(self, other: "_Streams") -> None:
        """Fold in the accumulators of a later partition (``--engine dask``)."""
        self.primary.merge(other.primary)
        if self.secondary is not None and other.secondary is not None:
            self.secondary.merge(other.secondary)
        if self.agreement is not None and other.agreement is not None:
            self.agreement.merge(other.agreement)
        if self.target is not None and other.target is not None:
            self.target.merge(other.target)


@dataclass
class PartitionResult:
    """What a worker sends back for one partition: its accumulators, its row counts, its phase times."""

    streams: _Streams
    rows: int
    invalid_rows: int
    seconds: dict


def verify_partition(polynomial: Polynomial, model: str, plan: ComparisonPlan, table: DataTable) -> PartitionResult:
    """Run the network and the polynomial on one partition: the task a Dask worker executes.

    The worker opens the ONNX file itself (onnxruntime sessions do not travel between processes),
    so the model path must be readable on every worker.
    """
    network = ReferenceNetwork(model, polynomial.provenance.get("output_name"))
    streams = _Streams(plan, list(polynomial.outputs), table)
    seconds = _stream(polynomial, network, table, plan, streams, None)
    return PartitionResult(streams, table.total_rows, table.invalid_rows, seconds)


def _stream_on_dask(polynomial: Polynomial, network: ReferenceNetwork, table: DataTable, plan: ComparisonPlan,
                    scheduler: str | None, progress: Progress | None) -> tuple[_Streams, dict]:
    """Every partition on the cluster, merged in dataset order: the same accumulators as one pass."""
    from polyx.distributed import map_partitions

    parts = _partitions(table, "verify")
    model = str(Path(network.path).resolve())
    results = map_partitions(verify_partition, [(polynomial, model, plan, part) for part in parts], scheduler, progress)
    streams = _Streams(plan, list(polynomial.outputs), table)
    seconds = {"reading": 0.0, "network": 0.0, "polynomial": 0.0, "metrics": 0.0}
    for result in results:
        streams.merge(result.streams)
        table.total_rows += result.rows
        table.invalid_rows += result.invalid_rows
        for name, value in result.seconds.items():
            seconds[name] += value
    table._check_not_empty()
    return streams, {name: round(value, 6) for name, value in seconds.items()}


def _partitions(table: DataTable, command: str) -> list[DataTable]:
    """The dataset's Parquet files, one per task; other formats cannot be split among workers."""
    from polyx.tabular import ArrowTable

    if not isinstance(table, ArrowTable) or table.format != "parquet":
        raise DataError(
            f"{table.path}: `engine` dask {command} works on a Parquet dataset (a folder or glob of Parquet files), "
            f"not {table.format}; convert the data to Parquet or drop `engine`"
        )
    return table.partitions()


def _check_shapes(polynomial: Polynomial, network: ReferenceNetwork, plan: ComparisonPlan, target: str | None) -> None:
    variables, outputs = len(polynomial.variables), len(polynomial.outputs)
    if variables != network.input_size or outputs != network.output_size:
        raise ArtifactError(
            f"the polynomial maps {variables} inputs to {outputs} outputs but {network.path} maps "
            f"{network.input_size} to {network.output_size}; verify it against the model it was made from"
        )
    if target is not None and outputs > 1 and not plan.classifier:
        raise DataError(
            f"`target` {target}: one truth column cannot score {outputs} regression outputs; "
            "drop `target` or verify a single-output model"
        )


def _notes(plan: ComparisonPlan, network: ReferenceNetwork) -> list[str]:
    notes = []
    if plan.threshold is not None:
        notes.append(f"binary classifier: classes are probability ≥ {plan.threshold:g}")
    if plan.poly_space == "logits" and plan.compared != "outputs":
        why = "as its artifact declares" if plan.declared else "the convention for softmax networks"
        final = {"log_softmax": "LogSoftmax", "sigmoid": "Sigmoid"}.get(str(network.output_activation), "Softmax")
        source = f"the input of the file's {final} node" if network.ends_in_softmax else "no logits: the file's softmax is not one node"
        notes.append(f"the polynomial stands for the logits ({why}); network logits: {source}")
    if plan.compared == "probabilities" and plan.poly_space == "logits":
        notes.append("gated: softmax of the polynomial against the network's probabilities")
    if plan.compared == "logits":
        notes.append("gated: polynomial logits against network logits; probabilities reported as secondary")
    if network.fixed_batch:
        notes.append(f"the model has a fixed batch size of {network.fixed_batch}; rows were fed in batches of it")
    return notes


def verify_polynomial(
    polynomial: Polynomial,
    model: str | Path,
    data: str | Path,
    *,
    columns: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    target: str | None = None,
    skip_invalid: bool = False,
    gates: Sequence[Gate] = (),
    compare: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    threshold: float | None = None,
) -> VerificationReport:
    """Run the model file and an in-memory Polynomial on a data file or dataset and gate their agreement.

    The library entry point for Python users who hold a Polynomial; ``verify`` adds locating
    and loading the artifact and checking its model's sha256. ``engine="dask"`` evaluates each
    Parquet partition on a Dask cluster (the one at ``scheduler``, else a local one) and merges
    the metrics exactly.
    """
    network = ReferenceNetwork(model, polynomial.provenance.get("output_name"))
    argmax_gate = any(gate.metric == "argmax_agreement" for gate in gates)
    plan = comparison_plan(network, polynomial, compare, argmax_gate, threshold)
    _check_shapes(polynomial, network, plan, target)
    table = open_table(
        data,
        expected_inputs=network.input_size,
        columns=columns,
        exclude=exclude,
        target=target,
        variable_names=list(polynomial.variables),
        skip_invalid=skip_invalid,
        chunk_rows=chunk_rows,
    )
    if scheduler is not None and engine != "dask":
        raise DataError("`scheduler` names a Dask scheduler; add `engine` dask")
    if engine == "dask":
        streams, seconds = _stream_on_dask(polynomial, network, table, plan, scheduler, progress)
    elif engine == "local":
        streams = _Streams(plan, list(polynomial.outputs), table)
        seconds = _stream(polynomial, network, table, plan, streams, progress)
    else:
        raise DataError(f"unknown engine '{engine}'; choose local or dask")
    return _report(polynomial, network, table, plan, streams, gates, seconds)


def _stream(
    polynomial: Polynomial,
    network: ReferenceNetwork,
    table: DataTable,
    plan: ComparisonPlan,
    streams: _Streams,
    progress: Progress | None,
) -> dict:
    seconds = {"reading": 0.0, "network": 0.0, "polynomial": 0.0, "metrics": 0.0}
    size = table.progress_total if progress is not None else None
    clock = time.perf_counter()
    # Overflow in the polynomial is a finding (counted in nonfinite_rows, gated), not a warning to print.
    with np.errstate(over="ignore", invalid="ignore"):
        for x, y, lines in table.numbered_chunks():
            started = time.perf_counter()
            seconds["reading"] += started - clock
            net = network.values(x, plan)
            evaluated = time.perf_counter()
            poly = polynomial.evaluate(x)
            compared = time.perf_counter()
            streams.add(poly, net, y, lines)
            clock = time.perf_counter()
            seconds["network"] += evaluated - started
            seconds["polynomial"] += compared - evaluated
            seconds["metrics"] += clock - compared
            if progress is not None:
                progress(table.progress_done if size is None else min(table.progress_done, size), size)
    return {name: round(value, 6) for name, value in seconds.items()}


def _gate_results(gates: Sequence[Gate], outputs: list[ErrorMetrics], agreement: dict | None) -> list[GateResult]:
    results = []
    for gate in [FINITE_GATE, *gates]:
        if gate.per_output:
            results.extend(gate.check(getattr(metrics, gate.metric), metrics.name) for metrics in outputs)
        else:
            results.append(gate.check(agreement["rate"] if agreement else None, None))
    return results


def _report(
    polynomial: Polynomial,
    network: ReferenceNetwork,
    table: DataTable,
    plan: ComparisonPlan,
    streams: _Streams,
    gates: Sequence[Gate],
    seconds: dict,
) -> VerificationReport:
    outputs = streams.primary.result()
    agreement = streams.agreement.result() if streams.agreement else None
    secondary = None
    if streams.secondary is not None:
        secondary = {"compared": plan.secondary, "outputs": [m.to_dict() for m in streams.secondary.result()]}
    return VerificationReport(
        compared=plan.compared,
        outputs=outputs,
        gates=_gate_results(gates, outputs, agreement),
        secondary=secondary,
        classification={"argmax_agreement": agreement} if agreement else None,
        target=streams.target.result() if streams.target else None,
        data={
            "path": str(table.path),
            "format": table.format,
            "rows": table.total_rows,
            "invalid_rows_skipped": table.invalid_rows,
            "input_columns": table.input_names,
            "matched_by_position": [list(pair) for pair in table.matched_by_position],
            "target": table.header[table.target_column] if table.target_column is not None else None,
        },
        polynomial={
            "method": method_record(polynomial).name,
            "terms": polynomial.n_terms,
            "degree": polynomial.degree,
            "output_space": plan.poly_space,
        },
        model={
            "path": str(network.path),
            "sha256": file_sha256(network.path),
            "dtype": network.dtype,
            "fixed_batch": network.fixed_batch,
            "ends_in_softmax": network.ends_in_softmax,
        },
        seconds=seconds,
        notes=_notes(plan, network),
    )


def verify(
    data: str | Path,
    poly: str | Path | None = None,
    model: str | Path | None = None,
    *,
    folder: str | Path = ".",
    report: str | Path | None = None,
    junit: str | Path | None = None,
    **options: object,
) -> VerificationReport:
    """``polyx verify``: find and load the artifact, find and check its model, then verify.

    ``poly`` defaults to the single ``*.poly.json`` in ``folder``; ``model`` to the artifact's
    provenance source, which must still have the recorded sha256. ``report`` and ``junit`` name
    the JSON and JUnit files a CI job keeps: checked before any row is read, written (whatever
    the gates say) once the report is complete. Other options as for ``verify_polynomial``.
    """
    from polyx.expansion.writers.artifact import load_polynomial
    from polyx.expansion.polynomials.units import artifact_in_raw_units

    outputs = {"`report`": report, "`junit`": junit}
    check_paths(outputs, {"data": data, "polynomial": poly, "model": model}, folders=("data",))
    poly_path = Path(poly) if poly is not None else find_polynomial(Path(folder))
    check_paths(outputs, {"polynomial": poly_path})
    polynomial = artifact_in_raw_units(load_polynomial(poly_path))
    model_path, expected = resolve_model(polynomial.provenance, poly_path, Path(model) if model is not None else None)
    check_paths(outputs, {"model": model_path})
    measured = verify_polynomial(polynomial, model_path, data, **options)  # type: ignore[arg-type]
    matches = None if expected is None else measured.model["sha256"] == expected
    unchecked = [] if expected else [f"{poly_path} records no sha256 for its model, so the model file was not checked"]
    result = replace(
        measured,
        polynomial={"path": str(poly_path), **measured.polynomial},
        model={**measured.model, "sha256_recorded": expected, "sha256_matches": matches},
        notes=measured.notes + unchecked,
    )
    write_reports(result, report, junit)
    return result


def write_reports(result: VerificationReport, report: str | Path | None = None, junit: str | Path | None = None) -> list[Path]:
    """Write the JSON report and/or the JUnit XML atomically, both or neither: the files CI keeps."""
    contents = [(Path(report), result.to_json())] if report is not None else []
    contents += [(Path(junit), report_to_junit(result))] if junit is not None else []
    return write_all_atomic(contents)
