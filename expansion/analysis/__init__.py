"""Analyses of a polynomial: importance, eigen-images, adversarial directions, point agreement."""
