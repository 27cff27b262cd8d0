"""Model files that are not ONNX: nn2poly weight lists and the documented ``.npz`` layout. (Native
framework files are recognised, and refused with their export command, by ``polyx.native_files``.)"""
