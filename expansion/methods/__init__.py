"""The expansion methods (nn2poly, taylor, lsq) on chains and graphs, and ``expand`` over them."""
