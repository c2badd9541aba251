"""Alert delivery: the Opsgenie (and Jira Service Management Ops) HTTP client.

Payloads are built by the pure ``processors.alerting.opsgenie``; this package only sends them.
"""

from gateway.alerting.opsgenie_client import (
    ApiKeySource,
    OpsgenieClient,
    OpsgenieError,
    OpsgenieRequestError,
    OpsgenieResponse,
    OpsgenieUnavailableError,
    RetryPolicy,
)

__all__ = [
    "ApiKeySource",
    "OpsgenieClient",
    "OpsgenieError",
    "OpsgenieRequestError",
    "OpsgenieResponse",
    "OpsgenieUnavailableError",
    "RetryPolicy",
]
