"""How far an expansion can be trusted: validity radii, kinks, pre-activation ranges, convergence."""
