"""Write the real PyTorch files tests/test_native_formats.py refuses (run with a Python that has torch):

    /work/venvs/torch/bin/python tests/data/native/make_torch_files.py

A state_dict saved by torch.save (zip with data.pkl), a TorchScript module (zip whose first member
is data/0), and the legacy non-zip pickle format. polyx must recognise each one without unpickling it.
"""

from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
torch.save(model.state_dict(), HERE / "state_dict.pt")
torch.jit.save(torch.jit.script(model), HERE / "torchscript.pt")
torch.save(model.state_dict(), HERE / "legacy.pth", _use_new_zipfile_serialization=False)
