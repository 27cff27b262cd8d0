"""Optional helpers that train networks whose polynomials are good (nn2poly's ``add_constraints``).

nn2poly's global Taylor expansion is accurate when every hidden pre-activation stays where the
activation's series converges; bounding each hidden neuron's (weights, bias) norm by 1 keeps the
pre-activations of inputs in [−1, 1] within [−1, 1]. ``polyx.training.torch`` and
``polyx.training.keras`` apply that bound during training. Neither is imported by polyx itself,
and each imports its framework only when it is used: polyx never needs them at run time.
"""

__all__: list[str] = []
