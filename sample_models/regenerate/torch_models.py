"""Regenerate the torch samples: TorchScript and dynamo exports, the trained polynomial4 models
and the torch-made refusal samples. Run in the torch venv (see sample_models/README.md):

    /work/venvs/torch/bin/python sample_models/regenerate/torch_models.py

Every model is seeded, so a rerun writes the same weights. The oracle stored in the manifest is
torch's own forward pass in float64 (the float32 weights, evaluated in double precision).
"""

from __future__ import annotations

import copy
import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from common import (
    POLY_CSV,
    SAMPLE_DIR,
    Sample,
    layer,
    polynomial4_split,
    probe_inputs,
    r2_score,
    save_model,
    scratch_dir,
    update_manifest,
    versions,
    write_polynomial4_csv,
)

FAMILY = "torch"
DYNAMIC = {"x": {0: "batch"}, "y": {0: "batch"}}

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)  # torchvision-missing notices from the dynamo exporter
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


@dataclass(frozen=True)
class Act:
    """A torch activation module and the canonical name polyx must read back."""

    make: type | object
    name: str
    params: tuple[tuple[str, float], ...] = ()

    def module(self) -> nn.Module:
        return self.make() if isinstance(self.make, type) else copy.deepcopy(self.make)


TANH = Act(nn.Tanh, "tanh")
SIGMOID = Act(nn.Sigmoid, "sigmoid")
SOFTPLUS = Act(nn.Softplus, "softplus")
RELU = Act(nn.ReLU, "relu")
GELU = Act(nn.GELU, "gelu")
GELU_TANH = Act(nn.GELU(approximate="tanh"), "gelu_tanh")
SILU = Act(nn.SiLU, "silu")
ELU07 = Act(nn.ELU(alpha=0.7), "elu", (("alpha", 0.7),))
SELU = Act(nn.SELU, "selu", (("alpha", 1.6732632423543772), ("gamma", 1.0507009873554805)))
LEAKY = Act(nn.LeakyReLU(0.1), "leaky_relu", (("alpha", 0.1),))
LINEAR = Act(nn.Identity, "linear")


def randomise_batchnorm(bn: nn.BatchNorm1d, generator: torch.Generator) -> None:
    """Give an eval-mode BatchNorm non-trivial statistics, as after training."""
    n = bn.num_features
    with torch.no_grad():
        bn.running_mean.copy_(0.3 * torch.randn(n, generator=generator))
        bn.running_var.copy_(0.5 + 1.5 * torch.rand(n, generator=generator))
        bn.weight.copy_(0.5 + torch.rand(n, generator=generator))
        bn.bias.copy_(0.3 * torch.randn(n, generator=generator))


def mlp(
    sizes: list[int],
    act: Act,
    seed: int,
    *,
    batchnorm: bool = False,
    dropout: float = 0.0,
    flatten: bool = False,
    softmax: bool = False,
) -> tuple[nn.Module, dict]:
    """A seeded nn.Sequential MLP and its expected IR (BatchNorm sits before the activation)."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed + 1)
    modules: list[nn.Module] = [nn.Flatten()] if flatten else []
    ir_layers = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        modules.append(nn.Linear(n_in, n_out))
        if batchnorm:
            bn = nn.BatchNorm1d(n_out)
            randomise_batchnorm(bn, generator)
            modules.append(bn)
        modules.append(act.module())
        if dropout:
            modules.append(nn.Dropout(dropout))
        ir_layers.append(layer(n_in, n_out, act.name, **dict(act.params)))
    modules.append(nn.Linear(sizes[-2], sizes[-1]))
    ir_layers.append(layer(sizes[-2], sizes[-1], "linear"))
    if softmax:
        modules.append(nn.Softmax(dim=-1))
    return nn.Sequential(*modules).eval(), {"layers": ir_layers, "output_activation": "softmax" if softmax else None}


class SinMLP(nn.Module):
    """Linear -> torch.sin -> Linear: no nn module exists for sin, so a custom forward."""

    def __init__(self, n_in: int, hidden: int, n_out: int):
        super().__init__()
        self.hidden = nn.Linear(n_in, hidden)
        self.head = nn.Linear(hidden, n_out)

    def forward(self, x):
        return self.head(torch.sin(self.hidden(x)))


class MatMulMLP(nn.Module):
    """x @ W + b with raw Parameters (W shaped (in, out)): exports MatMul + Add instead of Gemm."""

    def __init__(self, n_in: int, hidden: int, n_out: int, activation: nn.Module):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(n_in, hidden) / n_in**0.5)
        self.b1 = nn.Parameter(0.3 * torch.randn(hidden))
        self.w2 = nn.Parameter(torch.randn(hidden, n_out) / hidden**0.5)
        self.b2 = nn.Parameter(0.3 * torch.randn(n_out))
        self.activation = activation

    def forward(self, x):
        return self.activation(x @ self.w1 + self.b1) @ self.w2 + self.b2


class SkipMLP(nn.Module):
    """A residual connection: h2 = tanh(W2 h1 + b2) + h1 is not a chain of dense layers."""

    def __init__(self):
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(4, 8), nn.Linear(8, 8), nn.Linear(8, 1)

    def forward(self, x):
        h1 = torch.tanh(self.l1(x))
        return self.l3(torch.tanh(self.l2(h1)) + h1)


def oracle(model: nn.Module, inputs: np.ndarray) -> np.ndarray:
    """torch's forward pass in float64 on a copy of the model."""
    with torch.no_grad():
        return copy.deepcopy(model).double()(torch.tensor(inputs, dtype=torch.float64)).numpy()


def export_torchscript(model, example, target: Path, opset: int, *, names: bool = True, initializers_as_inputs=False):
    """The legacy exporter (dynamo=False); returns the call as recorded in the manifest."""
    raw = scratch_dir() / target.name
    options = {"input_names": ["x"], "output_names": ["y"], "dynamic_axes": DYNAMIC} if names else {}
    torch.onnx.export(
        model,
        (example,),
        str(raw),
        dynamo=False,
        opset_version=opset,
        keep_initializers_as_inputs=initializers_as_inputs,
        **options,
    )
    save_model(raw, target)
    call = f"torch.onnx.export(model, (x,), f, dynamo=False, opset_version={opset}"
    if names:
        call += ", input_names=['x'], output_names=['y'], dynamic_axes={'x': {0: 'batch'}, 'y': {0: 'batch'}}"
    if initializers_as_inputs:
        call += ", keep_initializers_as_inputs=True"
    return call + ")"


def export_dynamo(model, example, target: Path, opset: int | None, *, names=False, dynamic=True, optimize=True):
    """torch.export + onnxscript (dynamo=True); returns the call as recorded in the manifest."""
    raw = scratch_dir() / target.name
    options = {}
    call = "torch.onnx.export(model, (x,), f, dynamo=True, external_data=False, verbose=False"
    if opset is not None:
        options["opset_version"] = opset
        call += f", opset_version={opset}"
    if names:
        options.update(input_names=["x"], output_names=["y"])
        call += ", input_names=['x'], output_names=['y']"
    if dynamic:
        options["dynamic_shapes"] = ({0: torch.export.Dim("batch")},)
        call += ", dynamic_shapes=({0: torch.export.Dim('batch')},)"
    if not optimize:
        options["optimize"] = False
        call += ", optimize=False"
    torch.onnx.export(model, (example,), str(raw), dynamo=True, external_data=False, verbose=False, **options)
    save_model(raw, target)
    return call + ")"


def build_sample(file, model, ir, exporter, seed, *, shape, dtype="float32", notes=(), export=None, scale=1.5, **extra):
    """Export one model, compute the oracle outputs and describe it for the manifest."""
    if dtype == "float64":
        model = model.double()
    inputs = probe_inputs(seed, shape, dtype, scale)
    batch = 2 if exporter == "dynamo_default" else (1 if extra.pop("fixed_batch_one", False) else 3)
    example = torch.tensor(probe_inputs(seed + 7, shape, dtype)[:batch])
    call = export(model, example, SAMPLE_DIR / file)
    return Sample(
        file=file,
        family=FAMILY,
        exporter="torch.onnx (TorchScript)" if exporter == "torchscript" else "torch.onnx (dynamo)",
        exporter_call=call,
        ir=ir,
        notes=list(notes),
        inputs=inputs,
        outputs=oracle(model, inputs),
        oracle="torch forward in float64",
        extra=extra,
    )


def ts(opset=17, **options):
    """An export function for build_sample: TorchScript at this opset."""
    return lambda model, example, target: export_torchscript(model, example, target, opset, **options)


def dyn(opset=20, **options):
    """An export function for build_sample: dynamo at this opset."""
    return lambda model, example, target: export_dynamo(model, example, target, opset, **options)


def catalogue() -> list[Sample]:
    """Every untrained torch sample, seeded one by one."""
    samples = []

    def add(file, built, exporter, export, seed, shape, **options):
        model, ir = built
        samples.append(build_sample(file, model, ir, exporter, seed, shape=shape, export=export, **options))

    # TorchScript exporter: Gemm transB=1, activations as single ops or Constant-node decompositions.
    for seed, (act, sizes) in enumerate(
        [
            (TANH, [4, 8, 1]),
            (SIGMOID, [3, 8, 8, 2]),
            (SOFTPLUS, [2, 6, 1]),
            (RELU, [5, 8, 8, 8, 1]),
            (GELU, [4, 8, 1]),
            (GELU_TANH, [4, 8, 2]),
            (SILU, [3, 8, 1]),
            (ELU07, [4, 8, 1]),
            (SELU, [4, 8, 1]),
            (LEAKY, [4, 8, 1]),
            (LINEAR, [3, 4, 2]),
        ],
        start=100,
    ):
        label = act.name + ("_alpha0.7" if act is ELU07 else "")
        notes = {
            GELU: ["exact GELU as Div(sqrt 2) -> Erf -> Add 1 -> Mul -> Mul 0.5 with Constant nodes"],
            GELU_TANH: ["tanh GELU decomposed into Mul/Add/Tanh with Constant nodes"],
            SILU: ["SiLU as Sigmoid -> Mul"],
            ELU07: ["Elu[alpha=0.7]"],
            LEAKY: ["LeakyRelu[alpha=0.1]"],
            LINEAR: ["nn.Identity between the layers: two linear layers, may be merged into one"],
        }.get(act, [])
        file = f"pt_ts17_seq_{label}_{'-'.join(map(str, sizes))}.onnx"
        add(file, mlp(sizes, act, seed), "torchscript", ts(), seed, (sizes[0],), notes=notes)

    torch.manual_seed(120)
    sin_model = SinMLP(2, 8, 1).eval()
    sin_ir = {"layers": [layer(2, 8, "sin"), layer(8, 1, "linear")], "output_activation": None}
    add("pt_ts17_module_sin_2-8-1.onnx", (sin_model, sin_ir), "torchscript", ts(), 120, (2,),
        notes=["custom module calling torch.sin: a Sin op"])

    add("pt_ts17_seq_softmax_4-8-8-3.onnx", mlp([4, 8, 8, 3], TANH, 121, softmax=True), "torchscript", ts(), 121,
        (4,), notes=["tanh classifier ending in Softmax[axis=-1]"])
    add("pt_ts17_seq_bn_tanh_4-8-8-1.onnx", mlp([4, 8, 8, 1], TANH, 122, batchnorm=True), "torchscript", ts(), 122,
        (4,), notes=["BatchNorm1d before each tanh, kept as a BatchNormalization op (not folded)"])
    add("pt_ts17_seq_dropout_relu_4-8-8-1.onnx", mlp([4, 8, 8, 1], RELU, 123, dropout=0.2), "torchscript", ts(),
        123, (4,), notes=["nn.Dropout(0.2) after each activation; removed by the exporter in eval mode"])
    add("pt_ts17_seq_flatten_tanh_2x3-8-1.onnx", mlp([6, 8, 1], TANH, 124, flatten=True), "torchscript", ts(), 124,
        (2, 3), notes=["leading nn.Flatten: Flatten[axis=1] on an input of shape (batch, 2, 3), row-major"])
    add("pt_ts17_seq_float64_tanh_3-8-1.onnx", mlp([3, 8, 1], TANH, 125), "torchscript", ts(), 125, (3,),
        dtype="float64", notes=["float64 weights and input (model.double())"])
    add("pt_ts17_seq_tanh_4-8-1_inits_as_inputs.onnx", mlp([4, 8, 1], TANH, 126), "torchscript",
        ts(initializers_as_inputs=True), 126, (4,),
        notes=["keep_initializers_as_inputs=True: every weight is also listed in graph.input"])
    add("pt_ts17_seq_tanh_4-8-1_default_names.onnx", mlp([4, 8, 1], TANH, 127), "torchscript", ts(names=False), 127,
        (4,), fixed_batch_one=True,
        notes=["no input/output names and no dynamic_axes: input 'onnx::Gemm_0', numeric output name, batch fixed to 1"])
    torch.manual_seed(128)
    matmul = MatMulMLP(4, 8, 1, nn.Tanh()).eval()
    matmul_ir = {"layers": [layer(4, 8, "tanh"), layer(8, 1, "linear")], "output_activation": None}
    add("pt_ts13_module_matmul_tanh_4-8-1.onnx", (matmul, matmul_ir), "torchscript", ts(13), 128, (4,),
        notes=["custom module x @ W + b with raw Parameters: MatMul(x, W (in, out)) + Add, no Gemm"])
    add("pt_ts11_seq_tanh_10-16-16-16-16-3.onnx", mlp([10, 16, 16, 16, 16, 3], TANH, 129), "torchscript", ts(11),
        129, (10,), notes=["opset 11; 4 hidden layers, 10 inputs, 3 outputs"])

    # dynamo exporter: Gelu op at opset >= 20, decompositions at 18, folded BatchNorm, fixed default batch.
    for seed, (act, sizes, opset) in enumerate(
        [
            (TANH, [4, 8, 1], 20),
            (SOFTPLUS, [3, 8, 1], 20),
            (GELU, [4, 8, 1], 20),
            (GELU_TANH, [4, 8, 1], 20),
            (GELU, [4, 8, 1], 18),
            (GELU_TANH, [3, 8, 2], 18),
            (SILU, [5, 8, 8, 2], 20),
            (ELU07, [3, 8, 1], 20),
            (SELU, [4, 8, 8, 1], 20),
            (RELU, [2, 8, 1], 20),
        ],
        start=200,
    ):
        label = act.name + ("_alpha0.7" if act is ELU07 else "")
        notes = {
            SOFTPLUS: ["Softplus wrapped as Where(Greater(a, 20), a, Softplus(a)) (torch threshold=20)"],
            GELU: ["single Gelu[approximate=none] op" if opset >= 20 else "exact GELU decomposed: Div -> Erf -> Add -> Mul -> Mul"],
            GELU_TANH: ["single Gelu[approximate=tanh] op" if opset >= 20 else "tanh GELU decomposed with Pow(a, 3)"],
            SILU: ["SiLU as Sigmoid -> Mul"],
            ELU07: ["Elu[alpha=0.7]"],
        }.get(act, [])
        file = f"pt_dyn{opset}_seq_{label}_{'-'.join(map(str, sizes))}.onnx"
        add(file, mlp(sizes, act, seed), "dynamo", dyn(opset, names=seed % 2 == 0), seed, (sizes[0],),
            notes=notes + ["stack traces in node metadata_props had their absolute paths rewritten"])

    add("pt_dyn20_seq_bn_tanh_4-8-1.onnx", mlp([4, 8, 1], TANH, 220, batchnorm=True), "dynamo", dyn(20), 220, (4,),
        notes=["BatchNorm1d before tanh, silently folded into the Gemm by the default optimize=True"])
    add("pt_dyn20_seq_bn_softplus_4-8-1_noopt.onnx", mlp([4, 8, 1], SOFTPLUS, 221, batchnorm=True), "dynamo",
        dyn(20, optimize=False), 221, (4,),
        notes=["optimize=False: BatchNormalization op kept; softplus as Constant/CastLike/Mul/Softplus/Div/Greater/Where"])
    add("pt_dyn20_default_seq_relu_4-8-8-1_batch2.onnx", mlp([4, 8, 8, 1], RELU, 222), "dynamo_default",
        lambda model, example, target: export_dynamo(model, example, target, None, dynamic=False), 222, (4,),
        notes=["plain torch.onnx.export(model, (x,)) with a batch-2 example: batch fixed to 2, opset default"])
    add("pt_dyn20_seq_flatten_sigmoid_2x3-8-1.onnx", mlp([6, 8, 1], SIGMOID, 223, flatten=True), "dynamo", dyn(20),
        223, (2, 3), notes=["leading nn.Flatten: Reshape[allowzero=1](x, [-1, 6])"])
    add("pt_dyn20_seq_softmax_4-8-3.onnx", mlp([4, 8, 3], RELU, 224, softmax=True), "dynamo", dyn(20, names=True),
        224, (4,), notes=["relu classifier ending in Softmax[axis=-1]"])
    add("pt_dyn20_seq_dropout_tanh_3-8-8-2.onnx", mlp([3, 8, 8, 2], TANH, 225, dropout=0.3), "dynamo", dyn(20),
        225, (3,), notes=["nn.Dropout(0.3) after each activation; removed in eval mode"])
    add("pt_dyn20_seq_float64_sigmoid_3-6-1.onnx", mlp([3, 6, 1], SIGMOID, 226), "dynamo", dyn(20), 226, (3,),
        dtype="float64", notes=["float64 weights and input"])
    torch.manual_seed(227)
    matmul = MatMulMLP(3, 8, 2, nn.Sigmoid()).eval()
    matmul_ir = {"layers": [layer(3, 8, "sigmoid"), layer(8, 2, "linear")], "output_activation": None}
    add("pt_dyn20_module_matmul_sigmoid_3-8-2.onnx", (matmul, matmul_ir), "dynamo", dyn(20, names=True), 227, (3,),
        notes=["custom module x @ W + b: MatMul + Add"])
    return samples


def refusals() -> list[Sample]:
    """Graphs polyx must refuse, each with the node and the reason."""
    samples = []

    def add(file, model, shape, export, exporter, refusal, seed):
        model.eval()
        example = torch.tensor(probe_inputs(seed, shape)[:3])
        call = export(model, example, SAMPLE_DIR / file)
        samples.append(Sample(file=file, family=FAMILY, exporter=exporter, exporter_call=call, ir=None, refusal=refusal))

    torch.manual_seed(300)
    add("unsupported/pt_ts17_skip_add_tanh_4-8-8-1.onnx", SkipMLP(), (4,), ts(), "torch.onnx (TorchScript)",
        {"op_type": "Add", "reason": "skip connection: an Add joins the outputs of two different layers (h2 + h1)"}, 300)
    torch.manual_seed(301)
    layernorm = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.Tanh(), nn.Linear(8, 1))
    add("unsupported/pt_dyn18_seq_layernorm_4-8-1.onnx", layernorm, (4,), dyn(18), "torch.onnx (dynamo)",
        {"op_type": "LayerNormalization", "reason": "LayerNorm normalises across features: not dense layers + elementwise activations"}, 301)
    torch.manual_seed(302)
    conv = nn.Sequential(nn.Conv1d(1, 2, 3), nn.Tanh(), nn.Flatten(), nn.Linear(12, 1))
    add("unsupported/pt_ts17_conv1d_tanh_1x8-12-1.onnx", conv, (1, 8), ts(), "torch.onnx (TorchScript)",
        {"op_type": "Conv", "reason": "convolution layers are not supported"}, 302)
    return samples


# ----------------------------------------------------------------------------------------------
# Trained models: y = 2 - 2 x1 + 5 x2 x3 + 3 x4 with and without nn2poly's l1 weight constraint.


def project_l1(model: nn.Sequential) -> None:
    """nn2poly's constraint: each hidden neuron's (weights, bias) scaled into the l1 ball of radius 1."""
    with torch.no_grad():
        for linear in [m for m in model if isinstance(m, nn.Linear)][:-1]:
            norms = linear.weight.abs().sum(dim=1) + linear.bias.abs()
            scale = torch.clamp(1.0 / norms, max=1.0)
            linear.weight.mul_(scale[:, None])
            linear.bias.mul_(scale)


def hidden_l1_norms(model: nn.Sequential) -> list[float]:
    """Largest l1 norm (weights + bias, in float64) per hidden layer."""
    linears = [m for m in model if isinstance(m, nn.Linear)][:-1]
    return [float((l.weight.double().abs().sum(1) + l.bias.double().abs()).max()) for l in linears]


def max_preactivation(model: nn.Sequential, x: np.ndarray) -> list[float]:
    """max |u| of every hidden layer's pre-activations on the data."""
    h = torch.tensor(x, dtype=torch.float64)
    found = []
    with torch.no_grad():
        for module in copy.deepcopy(model).double():
            h = module(h)
            if isinstance(module, nn.Linear):
                found.append(float(h.abs().max()))
    return found[:-1]


def taylor_at_zero(model: nn.Module, x: np.ndarray, degree: int) -> np.ndarray:
    """The network's own Taylor polynomial at 0 (by autograd, in float64) evaluated on x."""
    f64 = copy.deepcopy(model).double()

    def f(v):
        return f64(v[None, :])[0, 0]

    zero = torch.zeros(x.shape[1], dtype=torch.float64)
    xt = torch.tensor(x, dtype=torch.float64)
    total = torch.full((len(x),), float(f(zero)), dtype=torch.float64)
    derivative = f
    for k in range(1, degree + 1):
        derivative = torch.func.jacrev(derivative)
        term = derivative(zero).expand(len(x), *([x.shape[1]] * k))
        for _ in range(k):
            term = torch.einsum("ni...,ni->n...", term, xt)
        total = total + term / math.factorial(k)
    return total.detach().numpy()


def train(act: Act, hidden: list[int], constrained: bool, seed: int, steps: int, lr: float, data: np.ndarray):
    """Full-batch Adam on the first 1500 CSV rows; the projection runs after every step."""
    x_train, y_train, _, _ = polynomial4_split(data)
    model, ir = mlp([4, *hidden, 1], act, seed)
    model.train()
    if constrained:
        project_l1(model)
    x_t = torch.tensor(x_train, dtype=torch.float32)
    y_t = torch.tensor(y_train, dtype=torch.float32)[:, None]
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        optimiser.zero_grad()
        loss = torch.mean((model(x_t) - y_t) ** 2)
        loss.backward()
        optimiser.step()
        if constrained:
            project_l1(model)
    model.eval()
    if constrained:
        # float32 rounding may leave a norm a hair above 1: shrink by one ulp until it holds in float64.
        while max(hidden_l1_norms(model)) > 1.0:
            with torch.no_grad():
                for linear in [m for m in model if isinstance(m, nn.Linear)][:-1]:
                    linear.weight.mul_(1 - 2**-23)
                    linear.bias.mul_(1 - 2**-23)
    return model, ir


def maclaurin_coefficients(act: Act, order: int) -> np.ndarray:
    """f^(k)(0)/k! of an activation by nested autograd: nn2poly expands every activation at 0."""
    module = act.module().double()
    derivative = lambda u: module(u)
    coefficients = []
    for k in range(order + 1):
        coefficients.append(float(derivative(torch.zeros((), dtype=torch.float64))) / math.factorial(k))
        derivative = torch.func.grad(derivative)
    return np.array(coefficients)


def activation_series_facts(model: nn.Sequential, act: Act, x: np.ndarray, order: int = 8) -> dict:
    """How well order-8 Maclaurin polynomials of the activation stand in for it on this data.

    ``max_abs_error_on_range`` is max |f(u) - p(u)| for |u| up to each layer's max |u|;
    ``network_*`` compares the network with every activation replaced by p against the network.
    """
    series = np.polynomial.Polynomial(maclaurin_coefficients(act, order))
    reach = max_preactivation(model, x)
    grid = np.linspace(-1.0, 1.0, 20001)
    errors = []
    for bound in reach:
        u = torch.tensor(bound * grid, dtype=torch.float64)
        with torch.no_grad():
            exact = act.module().double()(u).numpy()
        errors.append(float(np.max(np.abs(exact - series(bound * grid)))))
    unit = torch.tensor(grid, dtype=torch.float64)
    with torch.no_grad():
        unit_error = float(np.max(np.abs(act.module().double()(unit).numpy() - series(grid))))
    h = x
    for module in model:
        if isinstance(module, nn.Linear):
            h = h @ module.weight.detach().double().numpy().T + module.bias.detach().double().numpy()
        else:
            h = series(h)
    network = oracle(model, x).ravel()
    return {
        "order": order,
        "coefficients": [round(c, 12) + 0.0 for c in series.coef],  # + 0.0 turns -0.0 into 0.0
        "max_abs_error_on_unit_interval": float(f"{unit_error:.6g}"),
        "max_abs_error_on_range": [float(f"{e:.6g}") for e in errors],
        "network_r2_vs_network": round(r2_score(network, h.ravel()), 6),
        "network_max_abs_diff": float(f"{np.max(np.abs(h.ravel() - network)):.6g}"),
    }


def training_facts(model, act, hidden, constrained, steps, lr, data) -> dict:
    """R², norms, pre-activation range and both Taylor checks, for the manifest."""
    x_train, y_train, x_test, y_test = polynomial4_split(data)
    x_all, y_all = data[:, :4], data[:, 4]
    def predict(x: np.ndarray) -> np.ndarray:
        return oracle(model, x).ravel()

    network_all = predict(x_all)
    taylor = {}
    for degree in (2, 3):
        poly = taylor_at_zero(model, x_all, degree)
        taylor[f"degree_{degree}"] = {
            "r2_vs_y": round(r2_score(y_all, poly), 6),
            "r2_vs_network": round(r2_score(network_all, poly), 6),
            "max_abs_diff_vs_network": round(float(np.max(np.abs(poly - network_all))), 6),
        }
    return {
        "training": {
            "data": "polynomial4.csv",
            "train_rows": "1-1500",
            "test_rows": "1501-2000",
            "optimiser": f"full-batch Adam, lr {lr}, {steps} steps, MSE, float32, torch.manual_seed",
            "constraint": (
                "l1_norm <= 1 on every hidden neuron's incoming weights including its bias (nn2poly), "
                "projected after every step; output layer unconstrained"
                if constrained
                else None
            ),
            "r2_train": round(r2_score(y_train, predict(x_train)), 6),
            "r2_test": round(r2_score(y_test, predict(x_test)), 6),
            "hidden_max_l1_norm": [round(v, 9) for v in hidden_l1_norms(model)],
            "max_abs_preactivation": [round(v, 6) for v in max_preactivation(model, x_all)],
            "taylor_at_0_on_csv": taylor,
            "activation_maclaurin_on_csv": activation_series_facts(model, act, x_all),
        }
    }


def trained(data: np.ndarray) -> list[Sample]:
    """The polynomial4 models, with and without the constraint, and their fit diagnostics."""
    samples = []
    specs = [
        ("polynomial4_tanh_l1.onnx", TANH, [16], True, 10000, 0.01, 400),
        ("polynomial4_tanh2_l1.onnx", TANH, [16, 16], True, 10000, 0.01, 401),
        ("polynomial4_softplus_l1.onnx", SOFTPLUS, [16], True, 10000, 0.02, 402),
        ("polynomial4_tanh_free.onnx", TANH, [16], False, 3000, 0.02, 403),
        ("polynomial4_tanh2_free.onnx", TANH, [16, 16], False, 3000, 0.01, 404),
        ("polynomial4_softplus_free.onnx", SOFTPLUS, [16], False, 3000, 0.02, 405),
    ]
    for file, act, hidden, constrained, steps, lr, seed in specs:
        model, ir = train(act, hidden, constrained, seed, steps, lr, data)
        facts = training_facts(model, act, hidden, constrained, steps, lr, data)
        kind = "trained with nn2poly's l1 constraint" if constrained else "trained without constraint"
        sample = build_sample(
            file, model, ir, "torchscript", seed, shape=(4,), export=ts(), scale=1.0,
            notes=[f"{kind} on polynomial4.csv ({'-'.join(map(str, [4, *hidden, 1]))}, {act.name})"], **facts,
        )
        samples.append(sample)
        t = facts["training"]
        m = t["activation_maclaurin_on_csv"]
        print(f"  {file}: R2 train {t['r2_train']:.4f} test {t['r2_test']:.4f}, max|u| {t['max_abs_preactivation']}, "
              f"taylor3@0 R2 vs net {t['taylor_at_0_on_csv']['degree_3']['r2_vs_network']:.4f}, "
              f"order-8 activations R2 vs net {m['network_r2_vs_network']:.4g}", flush=True)
    return samples


def main() -> None:
    data = write_polynomial4_csv()
    print(f"wrote {POLY_CSV.name}", flush=True)
    samples = trained(data) + catalogue() + refusals()
    update_manifest(FAMILY, samples, versions("torch", "onnx", "onnxscript", "onnx-ir", "onnxruntime", "numpy"))


if __name__ == "__main__":
    main()
