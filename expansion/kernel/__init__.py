"""The truncated multivariate polynomial kernel: monomial spaces, batches of series, evaluation."""
