"""Model performance monitoring: the pure metric functions in ``processors.performance.metrics``.

Reads: nothing by itself. Writes: nothing. Config: none. See docs/performance-metrics.md.
"""
