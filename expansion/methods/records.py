"""Typed views of a polynomial's ``method`` and ``diagnostics`` blocks, for the code that reads them.

The blocks stay plain JSON dicts (the artifact format, ``polynomial.schema.json``, is theirs and does
not change, and an artifact loads and is written byte for byte as before). What changes is how they
are read: ``method_record(polynomial).at`` and ``diagnostics_of(polynomial).validity.radius``
instead of string keys spelled out in every reader, so a key is named in one place, beside the
method descriptions that list it (``polyx.expansion.methods.catalog``; ``tests/test_method_spec.py``
checks that every key read here is one a method describes). A view never fails on an older or a
hand-written artifact: a missing entry is None (or empty).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

__all__ = ["MethodRecord", "Diagnostics", "Validity", "RowsUsed", "R2Check", "R2VsNetwork", "method_record",
           "diagnostics_of"]


def _dict(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


@dataclass(frozen=True)
class MethodRecord:
    """``polynomial.method``: the method's name and the settings it recorded."""

    raw: Mapping[str, Any]

    @property
    def name(self) -> str | None:
        """The canonical method name (nn2poly, taylor, lsq), or None for a polynomial no method made."""
        return self.raw.get("name")

    @property
    def order(self) -> int | None:
        """The expansion order Q."""
        return self.raw.get("order")

    @property
    def at(self) -> list[float] | None:
        """taylor's reference point x0, one value per input."""
        at = self.raw.get("at")
        return at if isinstance(at, list) else None

    @property
    def fit(self) -> Mapping[str, Any] | None:
        """nn2poly with fit rows: the rows' source and count, the margin and the points of each fit."""
        return _dict(self.raw.get("fit"))

    @property
    def units(self) -> str:
        """'raw' (the inputs' own units, also when nothing was recorded) or 'standardized'."""
        return str(self.raw.get("units", "raw"))

    @property
    def standardization(self) -> Mapping[str, Any] | None:
        """The μ (``center``), σ (``scale``) and ``source`` of z = (x − μ)/σ, when recorded."""
        return _dict(self.raw.get("standardization"))

    @property
    def output_space(self) -> Any:
        """What the outputs stand for, when declared: logits, probabilities or outputs (unchecked)."""
        return self.raw.get("output_space")

    def settings(self) -> dict[str, Any]:
        """Every recorded setting but the name, for a one-line summary."""
        return {key: value for key, value in self.raw.items() if key != "name"}


@dataclass(frozen=True)
class Validity:
    """taylor's validity radius: within it the polynomial stays within the tolerance of the network."""

    radius: float
    beyond_tested: bool
    tolerance: float
    scale: float
    region: str
    samples_per_radius: int
    seed: int


@dataclass(frozen=True)
class RowsUsed:
    """The rows a diagnostic was computed on."""

    source: str
    rows: int


@dataclass(frozen=True)
class R2Check:
    """A Monte-Carlo estimate of the closed form's R² on ``samples`` draws."""

    samples: int
    r2: list[float | None]


@dataclass(frozen=True)
class R2VsNetwork:
    """nn2poly with data: R² against the network of the Taylor polynomial and of the fitted one, per output."""

    outputs: list[str]
    taylor: list[float | None] | None
    fit: list[float | None] | None
    taylor_note: str | None


@dataclass(frozen=True)
class Diagnostics:
    """``polynomial.diagnostics``: the quality checks a method and ``polyx convert`` wrote."""

    raw: Mapping[str, Any]

    @property
    def warnings(self) -> list[str]:
        """Sentences to read before trusting the polynomial (parameters named in backticks)."""
        return list(self.raw.get("warnings") or [])

    @property
    def r2(self) -> list[float | None] | None:
        """lsq: per output, the share of the network's variance the polynomial explains."""
        return self.raw.get("r2")

    @property
    def r2_kind(self) -> str | None:
        """lsq: how ``r2`` was obtained (analytic, held-out); None when there is no R²."""
        return self.raw.get("r2_kind")

    @property
    def r2_check(self) -> R2Check | None:
        """lsq with check samples: the Monte-Carlo check of the analytic R²."""
        check = _dict(self.raw.get("r2_check"))
        return R2Check(int(check["samples"]), list(check["r2"])) if check else None

    @property
    def value_at_reference(self) -> list[float] | None:
        """taylor: the network's outputs at x0."""
        return self.raw.get("value_at_reference")

    @property
    def exact(self) -> str | None:
        """taylor: which derivatives the polynomial holds exactly."""
        return self.raw.get("exact")

    @property
    def validity(self) -> Validity | None:
        """taylor: the validity radius, when it was measured."""
        v = _dict(self.raw.get("validity"))
        radius = v.get("radius") if v else None
        if not isinstance(radius, (int, float)) or isinstance(radius, bool):
            return None
        return Validity(float(radius), bool(v.get("beyond_tested", False)), float(v.get("tolerance", float("nan"))),
                        float(v.get("scale", 1.0)), str(v.get("region", "")), int(v.get("samples_per_radius", 0)),
                        int(v.get("seed", 0)))

    @property
    def convergence(self) -> Mapping[str, Any] | None:
        """taylor: the derivative ratios that say whether the series still converges."""
        return _dict(self.raw.get("convergence"))

    @property
    def agreement(self) -> Mapping[str, Any] | None:
        """taylor at several points: how far the local polynomials agree, term by term."""
        return _dict(self.raw.get("agreement"))

    @property
    def layers(self) -> list[Mapping[str, Any]] | None:
        """nn2poly with data: per layer, the pre-activations' range and how much of it the series covers."""
        layers = self.raw.get("layers")
        return layers if isinstance(layers, list) else None

    @property
    def data(self) -> RowsUsed | None:
        """nn2poly with data: the rows the per-layer checks ran on."""
        data = _dict(self.raw.get("data"))
        return RowsUsed(str(data["source"]), int(data["rows"])) if data else None

    @property
    def r2_vs_network(self) -> R2VsNetwork | None:
        """nn2poly with data: R² against the network."""
        r2 = _dict(self.raw.get("r2_vs_network"))
        if not r2:
            return None
        return R2VsNetwork(list(r2["outputs"]), r2.get("taylor"), r2.get("fit"), r2.get("taylor_note"))


def method_record(polynomial: Any) -> MethodRecord:
    """The typed view of ``polynomial.method``."""
    return MethodRecord(polynomial.method)


def diagnostics_of(polynomial: Any) -> Diagnostics:
    """The typed view of ``polynomial.diagnostics``."""
    return Diagnostics(polynomial.diagnostics)
