"""The intermediate representation: a dense chain (``Network``) or a computation ``Graph``."""
