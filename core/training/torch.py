"""nn2poly's weight constraint for PyTorch: after each optimiser step, scale every hidden ``nn.Linear``
neuron's (weights, bias) back into the l1 or l2 ball of radius 1.

    from polyx.training.torch import constrain_norms

    constrain_norms(model, "l1")
    for x, y in batches:
        optimiser.zero_grad(); loss(model(x), y).backward(); optimiser.step()
        constrain_norms(model, "l1")
    constrain_norms(model, "l1", exact=True)   # the bound then holds in float64 on what you export

A neuron whose norm is within the radius is left alone; one outside is divided by norm/radius, as
nn2poly does (for l2 that is the Euclidean projection onto the ball). The output layer is not
constrained unless asked: the polynomial's accuracy depends on the hidden pre-activations only.
This module needs only torch (imported on first use), not the rest of polyx.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NORMS", "constrain_norms", "neuron_norms", "hidden_norms", "NormConstraint"]

NORMS = ("l1", "l2")

_FLOAT32_ULP = 2.0**-23


def _linears(model: Any, include_output: bool) -> list[Any]:
    from torch import nn

    linears = [module for module in model.modules() if isinstance(module, nn.Linear)]
    return linears if include_output else linears[:-1]


def neuron_norms(linear: Any, norm: str = "l1") -> Any:
    """Each output neuron's norm of (incoming weights, bias), in float64: what the constraint bounds."""
    import torch

    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    weight = linear.weight.detach().double()
    bias = linear.bias.detach().double() if linear.bias is not None else torch.zeros(weight.shape[0], dtype=torch.float64)
    if norm == "l1":
        return weight.abs().sum(dim=1) + bias.abs()
    return torch.sqrt((weight**2).sum(dim=1) + bias**2)


def hidden_norms(model: Any, norm: str = "l1", include_output: bool = False) -> list[float]:
    """The largest neuron norm of each constrained layer: ≤ radius after ``constrain_norms``."""
    return [float(neuron_norms(linear, norm).max()) for linear in _linears(model, include_output)]


def constrain_norms(model: Any, norm: str = "l1", radius: float = 1.0, include_output: bool = False,
                    exact: bool = False) -> None:
    """Scale each hidden neuron whose (weights, bias) norm exceeds ``radius`` back onto the ball.

    Call it once before training and after every ``optimiser.step()``; the norms are computed in
    the parameters' own dtype, as nn2poly does. Float32 rounding can leave a norm a hair (an ulp)
    above the radius; ``exact=True``, once after training, shrinks every constrained layer by one
    float32 ulp at a time until the bound holds in float64, so that what is exported satisfies it.
    """
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    if not radius > 0:
        raise ValueError(f"radius must be positive, got {radius!r}")
    import torch

    linears = _linears(model, include_output)
    with torch.no_grad():
        for linear in linears:
            bias = linear.bias if linear.bias is not None else torch.zeros_like(linear.weight[:, 0])
            if norm == "l1":
                norms = linear.weight.abs().sum(dim=1) + bias.abs()
            else:
                norms = torch.sqrt((linear.weight**2).sum(dim=1) + bias**2)
            scale = torch.clamp(radius / norms, max=1.0)
            linear.weight.mul_(scale[:, None])
            if linear.bias is not None:
                linear.bias.mul_(scale)
        while exact and linears and max(hidden_norms(model, norm, include_output)) > radius:
            for linear in linears:
                linear.weight.mul_(1 - _FLOAT32_ULP)
                if linear.bias is not None:
                    linear.bias.mul_(1 - _FLOAT32_ULP)


class NormConstraint:
    """``constrain_norms`` as an object to keep beside the optimiser: ``constraint(model)`` after each step."""

    def __init__(self, norm: str = "l1", radius: float = 1.0, include_output: bool = False) -> None:
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        self.norm, self.radius, self.include_output = norm, radius, include_output

    def __call__(self, model: Any, exact: bool = False) -> None:
        """Apply the constraint to ``model`` in place (``exact=True`` once after training)."""
        constrain_norms(model, self.norm, self.radius, self.include_output, exact)
