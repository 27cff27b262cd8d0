"""Writers (and the artifact reader): JSON/npz artifacts, LaTeX, SymPy, ONNX and source code."""
