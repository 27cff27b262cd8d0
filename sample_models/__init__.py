"""Real exports of small MLPs (torch, tf2onnx, Keras 3) shipped with polyx for its demo and tests."""
