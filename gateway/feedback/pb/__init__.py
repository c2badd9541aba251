"""Generated messages of ``proto/inferwatch/v1/feedback.proto`` (``python proto/generate.py``; never edit)."""
