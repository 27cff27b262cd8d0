"""``polyx.training`` is optional: nothing in polyx imports it, and the torch helper imports torch only
when called. Its numbers are checked against torch by sample_models/regenerate/training_helpers.py
(bit-identical to the projection the l1 sample models were trained with, and their recorded norms)
and the Keras one by training_helpers_keras.py; tests never import torch or keras."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_polyx_and_its_cli_never_import_the_training_helpers() -> None:
    code = ("import sys, polyx, polyx.cli.main, polyx.expansion.methods.expand, polyx.converters.load; "
            "print(sorted(m for m in sys.modules if m.startswith('polyx.training') or m in ('torch', 'keras')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_torch_helper_imports_without_torch_and_checks_its_arguments_first() -> None:
    code = ("import sys; import polyx.training.torch as t; assert 'torch' not in sys.modules\n"
            "for bad in (dict(norm='l3'), dict(radius=0.0), dict(radius=float('nan'))):\n"
            "    try:\n        t.constrain_norms(object(), **bad)\n    except ValueError as e:\n        print(e)\n"
            "assert 'torch' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "norm must be one of ('l1', 'l2'), got 'l3'", "radius must be positive, got 0.0", "radius must be positive, got nan",
    ]


def test_norm_constraint_object_refuses_an_unknown_norm() -> None:
    from polyx.training.torch import NormConstraint

    with pytest.raises(ValueError, match="norm must be one of"):
        NormConstraint("max")
