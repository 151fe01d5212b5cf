"""Escalation events on EventBridge (the EscalationEvents port).

A failure to publish is logged and counted, never raised: the escalation it describes has already
happened (or failed) and must not be failed or repeated because its event was lost.
"""

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from escalation.contract import ESCALATION_EVENT_SOURCE
from escalation.domain.ledger import EscalationEvent, LedgerEntry

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient


class EventBridgeEvents:
    def __init__(
        self, client: "EventBridgeClient", bus_name: str, on_failure: Callable[[str, str], None]
    ) -> None:
        """`on_failure(detail_type, why)`: told of every event that could not be published."""
        self._client = client
        self._bus_name = bus_name
        self._on_failure = on_failure

    def publish(self, event: EscalationEvent, entry: LedgerEntry) -> None:
        try:
            response = self._client.put_events(
                Entries=[
                    {
                        "Source": ESCALATION_EVENT_SOURCE,
                        "DetailType": event.value,
                        "Detail": json.dumps(entry.event_detail()),
                        "Resources": [],
                        "EventBusName": self._bus_name,
                    }
                ]
            )
        except (ClientError, BotoCoreError) as error:
            self._on_failure(event.value, f"{type(error).__name__}: {error}"[:500])
            return
        if response.get("FailedEntryCount", 0):
            failed = response.get("Entries", [{}])[0]
            self._on_failure(event.value, f"{failed.get('ErrorCode')}: {failed.get('ErrorMessage')}"[:500])
