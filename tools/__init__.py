"""Evaluation and fuzzing tools for dermadelta, run by make eval and make bench from the repository root."""
