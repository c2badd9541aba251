"""Errors raised while turning an OTLP payload into messages.

Reads: nothing. Writes: nothing. No config keys.

Only the permanent kind lives here: the mapping to gRPC/HTTP status codes is done once, by the
receivers, not by the code that raises.
"""

from __future__ import annotations


class PayloadError(Exception):
    """The payload is bad and retrying it cannot help (gRPC INVALID_ARGUMENT, HTTP 400).

    The message says what was wrong and where, e.g.
    ``resourceSpans[0].scopeSpans[1].spans[3].traceId: invalid hex "zz"``.
    """
