"""Model files that are not ONNX: weight lists and npz read, native framework files refused."""
