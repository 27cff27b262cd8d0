"""The ``Polynomial`` every method produces and the operations on it (evaluate, units, quadratic form)."""
