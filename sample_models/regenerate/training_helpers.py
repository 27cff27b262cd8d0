"""Check polyx.training.torch against the constrained sample models (run with the torch venv):

    /work/venvs/torch/bin/python sample_models/regenerate/training_helpers.py

Reads the weights of the three l1-constrained sample models and checks that
``polyx.training.torch.hidden_norms`` gives the hidden max l1 norms the manifest records (all ≤ 1);
retrains polynomial4_tanh_l1 as torch_models.py does, once with the script's own ``project_l1``
and once with ``constrain_norms``, and checks the weights are bit-identical (the same projection,
step for step; the committed file itself came from another torch build, so it is compared by its
norms); then checks the l2 norm and a radius other than 1 on a fresh model. Exit status 1 on any mismatch. polyx itself need not be
installed in the venv: the helper module is loaded from its file (it imports only torch).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import onnx
import torch
from onnx import numpy_helper

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
import torch_models  # noqa: E402

spec = importlib.util.spec_from_file_location("polyx_training_torch", ROOT / "core" / "training" / "torch.py")
helpers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(helpers)


def committed_model(file: str, hidden: list[int], act: torch.nn.Module) -> torch.nn.Sequential:
    """The committed ONNX file's weights (initializers named like the state_dict) in a torch Sequential."""
    sizes = [4, *hidden, 1]
    layers: list[torch.nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers += [torch.nn.Linear(a, b)] + ([act] if i < len(hidden) else [])
    model = torch.nn.Sequential(*layers)
    graph = onnx.load(str(ROOT / "sample_models" / file)).graph
    state = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer}
    model.load_state_dict(state)
    return model


def main() -> int:
    failures = []
    manifest = json.loads((ROOT / "sample_models" / "manifest.json").read_text())
    for file, hidden, act in [("polynomial4_tanh_l1.onnx", [16], torch.nn.Tanh()),
                              ("polynomial4_tanh2_l1.onnx", [16, 16], torch.nn.Tanh()),
                              ("polynomial4_softplus_l1.onnx", [16], torch.nn.Softplus())]:
        norms = [round(n, 9) for n in helpers.hidden_norms(committed_model(file, hidden, act), "l1")]
        want = next(entry for entry in manifest["models"] if entry["file"] == file)["training"]["hidden_max_l1_norm"]
        print(f"{file}: hidden max l1 norms by polyx.training.torch {norms}, manifest {want}")
        if norms != want or max(norms) > 1.0:
            failures.append(file)
    data = torch_models.polynomial4_data() if hasattr(torch_models, "polynomial4_data") else __import__("common").polynomial4_data()
    script_model, _ = torch_models.train(torch_models.TANH, [16], True, 400, 10000, 0.01, data)
    script_projection = torch_models.project_l1
    torch_models.project_l1 = lambda model: helpers.constrain_norms(model, "l1")
    helper_model, _ = torch_models.train(torch_models.TANH, [16], True, 400, 10000, 0.01, data)
    torch_models.project_l1 = script_projection
    same = all(torch.equal(a, b) for a, b in zip(script_model.state_dict().values(), helper_model.state_dict().values()))
    print(f"polynomial4_tanh_l1 retrained (10000 Adam steps) with the script's projection and with constrain_norms: "
          f"bit-identical weights {same}; hidden max l1 norm {helpers.hidden_norms(helper_model, 'l1')}")
    if not same:
        failures.append("retraining")
    torch.manual_seed(7)
    fresh = torch.nn.Sequential(torch.nn.Linear(5, 6), torch.nn.Tanh(), torch.nn.Linear(6, 6), torch.nn.Tanh(),
                                torch.nn.Linear(6, 2))
    with torch.no_grad():
        for p in fresh.parameters():
            p.mul_(10)
    for norm, radius in [("l2", 1.0), ("l1", 0.5)]:
        helpers.constrain_norms(fresh, norm, radius, exact=True)
        norms = helpers.hidden_norms(fresh, norm)
        out = float(helpers.neuron_norms(list(fresh.modules())[-1], norm).max())
        print(f"fresh 5-6-6-2, {norm} radius {radius}: hidden max norms {norms}, output layer untouched ({out:.3g})")
        if max(norms) > radius or min(norms) < radius * (1 - 1e-6) or out <= radius:
            failures.append(f"{norm} {radius}")
    print("FAILED: " + ", ".join(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
