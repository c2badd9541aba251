"""Validate request bodies with the official ``opsgenie-sdk`` models (a test-only oracle).

A body is decoded into the SDK model (``CreateAlertPayload``, ``CloseAlertPayload``,
``AddNoteToAlertPayload``) the way the SDK decodes JSON, and encoded back: the result must equal the
body, so a misspelt or unknown field (dropped by the model), a wrong type or a priority outside
P1..P5 (rejected by the model) fails. Responders are checked against the SDK's recipient models.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import opsgenie_sdk

_CLIENT = opsgenie_sdk.ApiClient()
MODELS = {"create": "CreateAlertPayload", "close": "CloseAlertPayload", "note": "AddNoteToAlertPayload"}


class _Reply:
    def __init__(self, document: Any) -> None:
        self.data = json.dumps(document)


def _recipient(document: Mapping[str, str]) -> dict[str, Any]:
    kinds = opsgenie_sdk.Recipient.discriminator_value_class_map
    fields = {k: v for k, v in document.items() if k != "type"}
    if "id" in fields:
        model = opsgenie_sdk.Recipient(type=document["type"], **fields)
        return _CLIENT.sanitize_for_serialization(model)
    model = getattr(opsgenie_sdk, kinds[document["type"]])(**fields)
    return {**_CLIENT.sanitize_for_serialization(model), "type": document["type"]}


def validate(action: str, body: Mapping[str, Any]) -> None:
    """Raises (AssertionError, ValueError, TypeError, KeyError) when the SDK model disagrees with ``body``."""
    plain = {k: v for k, v in body.items() if k not in ("responders", "visibleTo")}
    model = _CLIENT.deserialize(_Reply(plain), MODELS[action])
    assert _CLIENT.sanitize_for_serialization(model) == plain, f"{MODELS[action]} disagrees with {plain}"
    for key in ("responders", "visibleTo"):
        for responder in body.get(key, []):
            assert _recipient(responder) == dict(responder), f"{key}: {responder} is not an SDK recipient"
