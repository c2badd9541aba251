"""Drift: baselines stored in ClickHouse, the periodic drift evaluation and its API routes."""
