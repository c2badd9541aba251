"""inferwatch processors: the logic side (OTLP validation, derivations, statistics, rules, payloads)."""
