"""The three functions of scipy.special the activations need (the logistic function, the normal
CDF, the scaled complementary error function), imported on their first use.

Importing scipy.special costs about 0.2 s (its array-API layer); a command that only reads an
artifact or runs a tanh network never calls these, so it should not pay for them at start-up.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

__all__ = ["expit", "ndtr", "erfcx"]


def _special() -> ModuleType:
    import scipy.special  # deferred for start-up time: see the module docstring

    return scipy.special


def expit(x: np.ndarray) -> np.ndarray:
    """1/(1 + e^−x), scipy's overflow-free logistic function."""
    return _special().expit(x)


def ndtr(x: np.ndarray) -> np.ndarray:
    """Φ(x), the standard normal CDF."""
    return _special().ndtr(x)


def erfcx(x: np.ndarray) -> np.ndarray:
    """e^{x²}·erfc(x), finite where erfc underflows."""
    return _special().erfcx(x)
