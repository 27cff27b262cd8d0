"""The adversarial step checked on the network itself: ``polyx show --eig``'s last table.

The direction comes from the polynomial (``polyx.expansion.analysis.adversarial``); whether the network
really moves that much along it is a question for the network: its ONNX file is run by
onnxruntime at the base point and one step ε away, in the space the polynomial stands for (the
logits of a softmax classifier, the outputs otherwise), and the two changes are set side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from polyx.expansion.analysis.adversarial import AdversarialStep, adversarial_steps, base_point
from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = ["CheckedStep", "AdversarialReport", "check_adversarial"]


@dataclass(frozen=True)
class CheckedStep:
    """An adversarial step with the network's own change along it (None when no model was run)."""

    step: AdversarialStep
    network_change: float | None

    def to_json(self, variables: tuple[str, ...]) -> dict[str, Any]:
        """Plain JSON for ``show --eig --format json``."""
        return {"output": self.step.output, "epsilon": self.step.epsilon, "point": self.step.point.tolist(),
                "direction": dict(zip(variables, self.step.direction.tolist())),
                "quadratic_change": self.step.quadratic_change, "polynomial_change": self.step.polynomial_change,
                "network_change": self.network_change}


@dataclass
class AdversarialReport:
    """Every output's step, where it starts, and which model (if any) checked it."""

    steps: list[CheckedStep]
    start: str
    model: str | None
    note: str | None = None


def check_adversarial(polynomial: Polynomial, poly_path: Path, epsilon: float, model: Path | None) -> AdversarialReport:
    """The adversarial steps of every output, each checked against the network under onnxruntime.

    The model is ``model`` when given (its errors are the user's to fix), else the provenance's
    source (relative to the artifact, sha256 checked); when that cannot be found the steps are
    still reported and ``note`` says why the network column is empty.
    """
    from polyx.errors import PolyxError
    from polyx.reference import ReferenceNetwork
    from polyx.verification import comparison_plan, resolve_model

    steps = adversarial_steps(polynomial, epsilon)
    _, start = base_point(polynomial)
    try:
        path, _ = resolve_model(polynomial.provenance, Path(poly_path), model)
        network = ReferenceNetwork(path)
    except PolyxError as error:
        if model is not None:
            raise
        return AdversarialReport([CheckedStep(s, None) for s in steps], start, None,
                                 f"the network was not run ({error}); pass `model` MODEL.onnx to check the steps")
    plan = comparison_plan(network, polynomial, None, False)
    if plan.poly_space == "logits" and not network.ends_in_softmax:
        return AdversarialReport([CheckedStep(s, None) for s in steps], start, str(path),
                                 f"{path}: the polynomial stands for logits the file does not expose; the network was not run")
    run = network.logits if plan.poly_space == "logits" else network.outputs
    checked = []
    for o, step in enumerate(steps):
        before, after = run(np.stack([step.point, step.point + epsilon * step.direction]))[:, o]
        checked.append(CheckedStep(step, float(after - before)))
    return AdversarialReport(checked, start, str(path))
