"""ML inference signals: the semantic conventions and the derivations built on them."""
