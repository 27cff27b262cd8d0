"""ONNX files into the IR: graph views, op patterns, elementwise identification, graph ops, outputs."""
