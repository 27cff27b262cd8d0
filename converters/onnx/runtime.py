"""Run the original ONNX file with onnxruntime: the ground truth polyx is checked against.

The file is run as it is (not the IR), fed in its own dtype and input shape, and in batches of
its fixed batch size when the exporter fixed one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from polyx.errors import ModelLoadError

__all__ = ["OnnxRunner", "require_onnx"]

DEFAULT_BATCH_ROWS = 65_536
RUN_THREADS = 2
"""onnxruntime threads; they do not spin between runs, so they never take a core from the BLAS
products of the polynomial that run after them."""
_NUMPY_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16}


def require_onnx(path: Path, purpose: str, remedy: str) -> None:
    """Refuse a weight-list JSON or ``.npz`` before onnxruntime reads it as a broken protobuf.

    ``purpose`` names what needs the run (``verify``, ``--check``), ``remedy`` what to do instead.
    """
    from polyx.converters.load import detect_format

    try:
        with path.open("rb") as stream:
            head = stream.read(64)
    except OSError as error:
        raise ModelLoadError(f"{path}: cannot read the model ({error.strerror or error}); check the path") from None
    kind = detect_format(head, path)
    from polyx.native_files import NATIVE, refusal

    if kind in NATIVE:
        raise ModelLoadError(refusal(kind, path))
    if kind != "onnx":
        raise ModelLoadError(
            f"{path}: is a {kind} file; {purpose} runs the network under onnxruntime and needs an ONNX file; {remedy}"
        )


class OnnxRunner:
    """An onnxruntime session for a one-input, one-output model, with batching handled."""

    def __init__(self, path: str | Path, output: str | None = None, lenient: bool = False) -> None:
        """``output`` names the output to read when the file has several; with ``lenient`` a file
        with one output is read at it whatever ``output`` says (an artifact's recorded output name
        may differ from the file it is checked against, e.g. a re-export)."""
        import onnxruntime

        self.path = Path(path)
        self._onnxruntime = onnxruntime
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = RUN_THREADS
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = onnxruntime.InferenceSession(
                str(self.path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own untyped errors
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ModelLoadError(f"{self.path}: onnxruntime cannot run this model ({first_line})") from None
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ModelLoadError(f"{self.path}: expected one input, found {len(inputs)}")
        self.input = inputs[0]
        outputs = [output.name for output in self.session.get_outputs()]
        self.graph_outputs = tuple(outputs)
        single = len(outputs) == 1 and (output is None or lenient)
        self.output_name = outputs[0] if single else self._chosen_output(output, outputs)
        self.dtype = _NUMPY_TYPES.get(self.input.type, np.float32)
        self.feature_shape = tuple(self.input.shape[1:])
        batch = self.input.shape[0] if self.input.shape else None
        self.fixed_batch = batch if isinstance(batch, int) and batch > 0 else None

    def _chosen_output(self, requested: str | None, outputs: list[str]) -> str:
        """The output the loader reads (``polyx.converters.onnx.outputs``); a tensor that is not a graph
        output (a ZipMap's input) is read from a copy of the model whose only output it is."""
        import onnx

        from polyx.converters.onnx.outputs import choose_output, restrict_to_output

        model = onnx.load(str(self.path))
        name = choose_output(model, requested, str(self.path))
        if name not in outputs:
            restrict_to_output(model, name)
            options = self.session.get_session_options()
            self.session = self._onnxruntime.InferenceSession(
                model.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
            )
        return name

    def _batches(self, x: np.ndarray) -> Iterator[tuple[slice, np.ndarray]]:
        step = self.fixed_batch or DEFAULT_BATCH_ROWS
        for start in range(0, x.shape[0], step):
            rows = slice(start, start + step)
            block = x[rows]
            if self.fixed_batch and block.shape[0] < self.fixed_batch:
                padding = np.zeros((self.fixed_batch - block.shape[0],) + block.shape[1:], dtype=block.dtype)
                block = np.concatenate([block, padding])
            yield rows, block

    def run(self, x: np.ndarray) -> np.ndarray:
        """Outputs for rows of flattened inputs x (rows, input_size), as float64 (rows, outputs)."""
        x = np.asarray(x)
        rows_total = x.shape[0]
        shaped = x.astype(self.dtype).reshape((rows_total,) + tuple(int(d) for d in self.feature_shape))
        out: np.ndarray | None = None
        for rows, block in self._batches(shaped):
            result = self.session.run([self.output_name], {self.input.name: block})[0]
            result = np.asarray(result, dtype=np.float64).reshape(block.shape[0], -1)
            if out is None:
                out = np.empty((rows_total, result.shape[1]), dtype=np.float64)
            out[rows] = result[: min(rows.stop, rows_total) - rows.start]
        assert out is not None
        return out
