"""Storage edge cases found in review: ties between rows written in the same millisecond."""

from __future__ import annotations

from gateway.alerting.silence_service import add_silence, expire_silence, list_silences
from tests.e2e.conftest import GatewayFactory

NOW = 1_760_000_000.0


def test_a_silence_expired_in_the_millisecond_it_was_added_reads_back_expired(gateways: GatewayFactory):
    # Both rows of the silence carry UpdatedAt = NOW: the read must not pick the added row by chance.
    gateway = gateways.start(run_tasks=False)
    client = gateway.open_client()
    for _ in range(5):
        added = add_silence(client, {"matchers": "model=fraud", "duration": "2h"}, NOW)
        assert added["state"] == "active"
        assert expire_silence(client, added["id"], NOW)["state"] == "expired"
        listed = {s["id"]: s for s in list_silences(client, NOW, include_expired=True)}
        assert listed[added["id"]]["state"] == "expired"
        assert listed[added["id"]]["ends_at"] == NOW
        assert added["id"] not in {s["id"] for s in list_silences(client, NOW)}
