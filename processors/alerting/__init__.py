"""Alerting: the rule expression language (``expr``) and the alert state machine (``state``).

Both are pure: they read values passed in (signal samples, the previous state, ``now``) and return
frozen results. Scheduling, storage and notification live in ``gateway/``.
"""
