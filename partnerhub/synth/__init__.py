"""A synthetic partnership of any size, with its ground truth kept apart.

Only the CLI and tests import this package (an import-linter contract enforces it).
"""
