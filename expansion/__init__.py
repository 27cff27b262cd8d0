"""Polynomial expansion of networks: the truncated-polynomial kernel and the methods built on it."""
