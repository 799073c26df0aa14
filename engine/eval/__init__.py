"""Evaluation: references, per-scenario vectors, operators and the evaluator."""
