"""Check polyx.training.keras on the polynomial4 example (Keras 3, any backend):

    KERAS_BACKEND=torch /work/venvs/torch/bin/python sample_models/regenerate/training_helpers_keras.py

Trains the 4-16-1 tanh network on polynomial4.csv (the first 1500 rows) with Adam and
``constrain_model(model, "l1")``, and checks that every hidden unit's (kernel column, bias) l1 norm
is ≤ 1 (to float32 rounding, 1e-6) after training, as nn2poly's constraint requires, while an
unconstrained twin exceeds 1; then that the constraint is exactly the torch helper's: one
projection of the same weights by both gives the same numbers. polyx need not be installed: the
helper modules are loaded from their files.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))


def load(name: str, file: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "core" / "training" / file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    import keras

    helpers = load("polyx_training_keras", "keras.py")
    from common import polynomial4_data, polynomial4_split

    x, y, _, _ = polynomial4_split(polynomial4_data())
    failures = []
    results = {}
    for constrained in (True, False):
        keras.utils.set_random_seed(400)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, "tanh"), keras.layers.Dense(1)])
        if constrained:
            helpers.constrain_model(model, "l1")
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
        history = model.fit(x.astype("float32"), y.astype("float32"), batch_size=1500, epochs=300, verbose=0)
        results[constrained] = (helpers.hidden_norms(model, "l1"), history.history["loss"][-1])
        print(f"{'constrained' if constrained else 'free'}: hidden max l1 norm {results[constrained][0]}, "
              f"final train MSE {results[constrained][1]:.4g}")
    if max(results[True][0]) > 1 + 1e-6:
        failures.append("constrained norm above 1")
    if max(results[False][0]) <= 1:
        failures.append("the free model never left the ball: the check cannot fail")
    try:
        import torch

        torch_helpers = load("polyx_training_torch", "torch.py")
        rng = np.random.default_rng(1)
        kernel, bias = rng.normal(size=(5, 6)), rng.normal(size=6)
        for norm in ("l1", "l2"):
            linear = torch.nn.Linear(5, 6).double()
            with torch.no_grad():
                linear.weight.copy_(torch.tensor(kernel.T))
                linear.bias.copy_(torch.tensor(bias))
            torch_helpers.constrain_norms(torch.nn.Sequential(linear, torch.nn.Linear(6, 1)), norm)
            bias_var = keras.Variable(bias, dtype="float64")
            constraint = helpers.NormConstraint(norm)
            constraint.bias = bias_var
            got = keras.ops.convert_to_numpy(constraint(keras.ops.convert_to_tensor(kernel, dtype="float64")))
            gap = max(np.abs(got - linear.weight.detach().numpy().T).max(),
                      np.abs(keras.ops.convert_to_numpy(bias_var) - linear.bias.detach().numpy()).max())
            print(f"{norm}: keras and torch helpers agree to {gap:.2g}")
            if gap > 1e-12:
                failures.append(f"{norm} helpers disagree")
    except ImportError:
        print("torch not installed: the keras/torch comparison is skipped")
    print("FAILED: " + ", ".join(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
