"""The ledger's DynamoDB adapter and the events' EventBridge adapter, against moto in process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from escalation.adapters.dynamodb_ledger import DynamoDbLedger
from escalation.adapters.eventbridge_events import EventBridgeEvents
from escalation.contract import LEDGER_TTL_ATTRIBUTE
from escalation.domain.errors import LedgerUnavailable
from escalation.domain.ledger import Attempt, EscalationEvent, LedgerEntry, LedgerStatus
from escalation.domain.model import Target, TargetType, Trigger
from local.aws import create_ledger_table
from tests.unit.builders import REGION

TABLE = "ledger"
CREATED = "2026-03-01T10:00:00+00:00"


def entry(escalation: str, chain: str = "chain-1", **changes: Any) -> LedgerEntry:
    fields: dict[str, Any] = {
        "chain_id": chain,
        "escalation_id": escalation,
        "contact_id": chain,
        "trigger": Trigger.API,
        "reason": "LATE",
        "requester": "alice",
        "status": LedgerStatus.TRANSFERRED,
        "created_at": CREATED,
        "updated_at": CREATED,
        "level": 1,
        "target": Target(TargetType.AGENT, "agent-9", "flow-agent"),
        "fell_back": True,
        "new_contact_id": "contact-2",
        "attempts": (Attempt(CREATED, "FAILED", "ThrottlingException"), Attempt(CREATED, "TRANSFERRED")),
        "note": "ünïcode note",
    }
    fields.update(changes)
    return LedgerEntry(**fields)


@pytest.fixture
def dynamodb(handler_env: dict[str, str]) -> Iterator[Any]:
    with mock_aws(config={"core": {"reset_boto3_session": False}}):
        client = boto3.client("dynamodb", region_name=REGION)
        create_ledger_table(client, TABLE)
        yield client


def test_an_entry_reads_back_as_it_was_saved_by_chain_and_by_id(dynamodb: Any) -> None:
    ledger = DynamoDbLedger(dynamodb, TABLE, retention_days=400)
    saved = entry("e-1")
    bare = entry("e-2", level=None, target=None, new_contact_id=None, attempts=(), note=None)
    ledger.save(saved)
    ledger.save(bare)
    ledger.save(entry("e-3", chain="chain-2"))

    assert sorted(ledger.chain("chain-1"), key=lambda e: e.escalation_id) == [saved, bare]
    assert ledger.get("e-1") == saved
    assert ledger.get("e-2") == bare
    assert ledger.get("unknown") is None
    assert ledger.chain("no-such-chain") == []


def test_saving_again_replaces_the_entry(dynamodb: Any) -> None:
    ledger = DynamoDbLedger(dynamodb, TABLE, retention_days=400)
    ledger.save(entry("e-1", status=LedgerStatus.PENDING, attempts=()))
    ledger.save(entry("e-1"))
    [stored] = ledger.chain("chain-1")
    assert stored.status is LedgerStatus.TRANSFERRED


def test_an_entry_expires_the_retention_after_its_creation(dynamodb: Any) -> None:
    DynamoDbLedger(dynamodb, TABLE, retention_days=400).save(entry("e-1"))
    [item] = dynamodb.scan(TableName=TABLE)["Items"]
    expected = datetime(2026, 3, 1, 10, tzinfo=UTC).timestamp() + 400 * 86_400
    assert int(item[LEDGER_TTL_ATTRIBUTE]["N"]) == int(expected)


def test_a_chain_longer_than_one_page_is_read_whole(dynamodb: Any) -> None:
    ledger = DynamoDbLedger(dynamodb, TABLE, retention_days=1)
    big_note = "n" * 100_000  # about ten items fill DynamoDB's 1 MB page
    for n in range(25):
        ledger.save(entry(f"e-{n:02d}", note=big_note))
    assert len(ledger.chain("chain-1")) == 25


def test_a_missing_table_is_ledger_unavailable(dynamodb: Any) -> None:
    ledger = DynamoDbLedger(dynamodb, "no-such-table", retention_days=1)
    for call in (lambda: ledger.chain("c"), lambda: ledger.get("e"), lambda: ledger.save(entry("e"))):
        with pytest.raises(LedgerUnavailable):
            call()


def test_an_event_is_published_with_the_service_source_and_without_the_note(
    handler_env: dict[str, str],
) -> None:
    client = boto3.client("events", region_name=REGION)
    failures: list[tuple[str, str]] = []
    with Stubber(client) as stub:
        stub.add_response(
            "put_events",
            {"FailedEntryCount": 0, "Entries": [{"EventId": "1"}]},
            {
                "Entries": [
                    {
                        "Source": "escalation.service",
                        "DetailType": "Escalation Transferred",
                        "Detail": json.dumps(entry("e-1").event_detail()),
                        "Resources": [],
                        "EventBusName": "bus-1",
                    }
                ]
            },
        )
        EventBridgeEvents(client, "bus-1", lambda kind, why: failures.append((kind, why))).publish(
            EscalationEvent.TRANSFERRED, entry("e-1")
        )
    assert failures == []
    assert "note" not in entry("e-1").event_detail()


@pytest.mark.parametrize("refusal", ["entry", "call"])
def test_a_refused_event_is_reported_not_raised(handler_env: dict[str, str], refusal: str) -> None:
    client = boto3.client("events", region_name=REGION)
    failures: list[tuple[str, str]] = []
    with Stubber(client) as stub:
        if refusal == "entry":
            stub.add_response(
                "put_events",
                {
                    "FailedEntryCount": 1,
                    "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "boom"}],
                },
            )
        else:
            stub.add_client_error("put_events", "AccessDeniedException", http_status_code=400)
        EventBridgeEvents(client, "bus-1", lambda kind, why: failures.append((kind, why))).publish(
            EscalationEvent.FAILED, entry("e-1")
        )
    [(kind, why)] = failures
    assert kind == "Escalation Failed"
    assert ("InternalFailure" if refusal == "entry" else "AccessDeniedException") in why
