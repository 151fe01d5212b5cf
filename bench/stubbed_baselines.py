"""The baselines' bare handlers on stubbed clients of one session, and the stubbed answers an escalation
gets (ours' stubbed environment in bench.stubbed queues the same answers).

bare1 is one `transfer_contact` per event; bare5 the five calls ours made before the ledger; bare9 ours'
nine calls in the event path's order (bench.baseline_calls), each without any framework around them.
"""

# ruff: noqa: PLC0415 - boto3 is imported when a baseline starts: its import cost is measured
from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import baseline_calls
from bench.common import API_CALLER, INSTANCE_ID, QUEUE_FLOW, SOURCE_QUEUE, TARGET_QUEUE, sla_event
from local.aws_isolation import isolated_aws_variables

Handler = Callable[[dict[str, Any], Any], Any]

BARE = "bare1"
BARE5 = "bare5"  # the five calls ours made before the ledger, on stubbed clients, no framework
BARE9 = "bare9"  # ours' nine calls, in its order, on stubbed clients, no framework
BARES = (BARE, BARE5, BARE9)


@dataclass(frozen=True)
class Baselines:
    """The bare handlers of one session's stubbed clients; only the clients their variants need exist."""

    handlers: dict[str, Handler]
    connect_stub: Any
    dynamodb_stub: Any | None
    events_stub: Any | None

    def prepare(self, variant: str) -> dict[str, Any]:
        """Queue one escalation's answers, in the order of the variant's calls; returns its event."""
        contact_id = str(uuid.uuid4())
        if variant == BARE:
            self.connect_stub.add_response("transfer_contact", transfer_answer())
        elif variant == BARE5:
            self.dynamodb_stub.add_response("put_item", {})  # type: ignore[union-attr]
            self.connect_stub.add_response("describe_contact", describe_answer(contact_id))
            self.connect_stub.add_response("update_contact_attributes", {})
            self.connect_stub.add_response("transfer_contact", transfer_answer())
            self.dynamodb_stub.add_response("update_item", {})  # type: ignore[union-attr]
        elif variant == BARE9:
            queue_nine_answers(self.connect_stub, self.dynamodb_stub, self.events_stub, contact_id)
        else:
            raise ValueError(f"not a baseline: {variant!r}")
        return sla_event(contact_id)

    def stubs(self) -> list[Any]:
        return [
            stub for stub in (self.connect_stub, self.dynamodb_stub, self.events_stub) if stub is not None
        ]


def queue_nine_answers(
    connect_stub: Any, dynamodb_stub: Any, events_stub: Any, contact_id: str, *, idempotency: bool = True
) -> None:
    """The answers to the nine calls of one escalation, each client's in its order (seven without the
    idempotency record's two)."""
    connect_stub.add_response("describe_contact", describe_answer(contact_id))
    connect_stub.add_response("transfer_contact", transfer_answer())
    connect_stub.add_response("update_contact_attributes", {})  # the confirmed values, after
    # Idempotency INPROGRESS, the chain's ledger read, PENDING, TRANSFERRED, idempotency COMPLETED.
    if idempotency:
        dynamodb_stub.add_response("put_item", {})
    dynamodb_stub.add_response("query", {"Items": []})
    dynamodb_stub.add_response("put_item", {})
    dynamodb_stub.add_response("put_item", {})
    if idempotency:
        dynamodb_stub.add_response("update_item", {})
    events_stub.add_response("put_events", {"FailedEntryCount": 0, "Entries": [{"EventId": "e"}]})


def start_baselines(variants: Sequence[str], table: str, ledger_table: str) -> Baselines:
    """The bare handlers for `variants` on one new session's clients, each with an active Stubber."""
    import boto3
    from botocore.stub import Stubber

    session = boto3.session.Session()
    connect = session.client("connect")
    dynamodb = session.client("dynamodb") if {BARE5, BARE9} & set(variants) else None
    events = session.client("events") if BARE9 in variants else None
    stubs = [Stubber(client) if client is not None else None for client in (connect, dynamodb, events)]
    for stub in stubs:
        if stub is not None:
            stub.activate()

    def escalation(event: dict[str, Any], reason: str) -> baseline_calls.Escalation:
        return baseline_calls.Escalation(
            instance_id=INSTANCE_ID,
            contact_id=event["detail"]["contactId"],
            flow_id=QUEUE_FLOW,
            queue_id=TARGET_QUEUE,
            reason=reason,
            idempotency_table=table,
            ledger_table=ledger_table,
        )

    def bare1(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001 - Lambda's signature
        baseline_calls.bare1(connect, escalation(event, "SLA_BREACH"))
        return {"status": "TRANSFERRED"}

    def bare5(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001
        baseline_calls.bare5(connect, dynamodb, escalation(event, "SLA_BREACH"))
        return {"status": "TRANSFERRED"}

    def bare9(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001
        baseline_calls.bare9(connect, dynamodb, events, escalation(event, "SLA_BREACH"))
        return {"status": "TRANSFERRED"}

    handlers: dict[str, Handler] = {BARE: bare1, BARE5: bare5, BARE9: bare9}
    return Baselines({v: handlers[v] for v in variants}, *stubs)


def describe_answer(contact_id: str) -> dict[str, Any]:
    return {
        "Contact": {
            "Id": contact_id,
            "Arn": f"arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE_ID}/contact/{contact_id}",
            "InitialContactId": contact_id,
            "Channel": "TASK",
            "InitiationMethod": "API",
            "QueueInfo": {"Id": SOURCE_QUEUE},
            "AgentInfo": {"Id": API_CALLER},  # the API caller is the contact's agent
            "Attributes": {},
        }
    }


def transfer_answer() -> dict[str, Any]:
    new_id = str(uuid.uuid4())
    return {
        "ContactId": new_id,
        "ContactArn": f"arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE_ID}/contact/{new_id}",
    }


@dataclass
class BareEnvironment:
    """One baseline only: the production handler is never imported (a baseline for memory)."""

    variant: str
    baselines: Baselines

    def use(self, variant: str) -> None:
        if variant != self.variant:
            raise ValueError(f"a bare environment runs only {self.variant!r}, not {variant!r}")

    def prepare(self, variant: str) -> dict[str, Any]:
        self.use(variant)
        return self.baselines.prepare(variant)

    def handler(self, variant: str) -> Handler:
        self.use(variant)
        return self.baselines.handlers[variant]

    def check_drained(self) -> None:
        for stub in self.baselines.stubs():
            stub.assert_no_pending_responses()

    def close(self) -> None:
        for stub in self.baselines.stubs():
            stub.deactivate()


def start_bare(tmp_dir: Path, variant: str = BARE, *, isolate: bool = True) -> BareEnvironment:
    """This process as an environment serving one baseline, with only the clients it calls."""
    if isolate:
        os.environ.update(isolated_aws_variables(tmp_dir))
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    return BareEnvironment(variant, start_baselines((variant,), f"{prefix}-idempotency", f"{prefix}-ledger"))
