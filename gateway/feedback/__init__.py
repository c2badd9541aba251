"""Ground truth in: labels over gRPC (``inferwatch.v1.FeedbackService``), the JSON API and file import.

Reads/writes: see the modules. ``register_feedback`` is the gateway's one line for this subsystem;
``FeedbackClient`` is the gRPC client for Python code (docs/feedback.md).
"""

from gateway.feedback.client import FeedbackClient
from gateway.feedback.subsystem import register_feedback

__all__ = ["FeedbackClient", "register_feedback"]
