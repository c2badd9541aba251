"""Drift detection: the pure statistics in ``processors.drift.stats``; the evaluator builds on them."""
