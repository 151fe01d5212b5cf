"""Helpers shared by the integration and reliability suites (imported as tests.integration.support).

Everything here talks to a running `local.stack.LocalStack` the way its real callers do: HTTP to the
local API with LOCAL-ONLY dev tokens (the agent desktop), PutEvents through a boto3 `events` client
(the SLA-breach producer), and reads back what the product leaves behind: the emulator's transfer
ledger, the DLQ, the alert topic.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from escalation.contract import API_PATH, SLA_BREACH_DETAIL_TYPE, SLA_BREACH_SOURCE, EnvVar
from escalation.domain.identity import ID_SECRET_LABEL, escalation_id
from escalation.record_mac import MAC_ALGORITHM
from local.dev_tokens import make_dev_token
from local.lambda_stdout import emf_samples
from local.stack import INSTANCE_ID, LocalStack, StackOptions
from tests.aws_isolation import isolated_aws_environment

REPO_ROOT = Path(__file__).resolve().parents[2]
BUNDLED_RULES = REPO_ROOT / "lambdas" / "escalation" / "routing_rules.json"
IDLE_TIMEOUT = 90.0
FAST_RETRY_DELAYS = (0.05, 0.1)  # Lambda's asynchronous retries, shortened further than the stack's

# Dev tokens: a contact's agent, another agent, a supervisor (group), a user with no Connect identity.
ALICE = make_dev_token("agent-alice", ["agents"], "alice")
BOB = make_dev_token("agent-bob", ["agents"], "bob")
SUPERVISOR = make_dev_token("agent-carol", ["supervisors"], "carol")
STRANGER = make_dev_token("agent-mallory", ["agents"], "mallory")


def suite_stack_options(**overrides: Any) -> StackOptions:
    """The suites' stack: free API port, no TransferContact quota and no API stage throttle (the suites
    drive requests at machine speed, not at human clicking rates), fast retries; `overrides` on top."""
    options: dict[str, Any] = {
        "api_port": 0,
        "transfer_rate": None,
        "api_throttle_rate": None,
        "retry_delays": FAST_RETRY_DELAYS,
    }
    options.update(overrides)
    return StackOptions(**options)


@contextlib.contextmanager
def running_stack(tmp_dir: Path, options: StackOptions) -> Iterator[LocalStack]:
    """A LocalStack with the given options in an isolated AWS environment; its handler output is not
    captured (pytest captures it). Every suite's `stack` fixture (tests/conftest.py) starts one here."""
    options.capture_output = False
    with isolated_aws_environment(tmp_dir), LocalStack(options) as stack:
        yield stack


def rules_file(tmp_dir: Path, extra_rules: Sequence[Mapping[str, Any]]) -> Path:
    """The bundled routing rules with `extra_rules` in front of them, written to a file."""
    document = json.loads(BUNDLED_RULES.read_text())
    document["rules"] = [*extra_rules, *document["rules"]]
    # The extra rules' reasons join the bundled catalogue, so that the desktop may send them.
    catalogued = {entry["code"] for entry in document.get("reasons", [])}
    extra_reasons = dict.fromkeys(r for rule in extra_rules for r in rule.get("match", {}).get("reasons", []))
    document["reasons"] = [
        *document.get("reasons", []),
        *({"code": code, "label": code} for code in extra_reasons if code not in catalogued),
    ]
    path = tmp_dir / "routing_rules.json"
    path.write_text(json.dumps(document))
    return path


# -- the agent desktop ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str]

    @property
    def error(self) -> str | None:
        return self.body.get("error") if isinstance(self.body, dict) else None


def post(
    stack: LocalStack,
    token: str | None,
    body: Any,
    *,
    idempotency_key: str | None = None,
    raw: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> Answer:
    """POST /escalations as the desktop does; `raw` sends those bytes instead of JSON."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    if idempotency_key:
        all_headers["Idempotency-Key"] = idempotency_key
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{stack.api.url}{API_PATH}", data=data, headers=all_headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, payload, out_headers = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        status, payload, out_headers = error.code, error.read(), dict(error.headers)
    try:
        parsed = json.loads(payload) if payload else None
    except ValueError:
        parsed = payload.decode(errors="replace")
    return Answer(status, parsed, out_headers)


def post_until_settled(
    stack: LocalStack,
    token: str,
    body: Any,
    *,
    attempts: int = 8,
    pause: float = 0.2,
    idempotency_key: str | None = None,
) -> tuple[Answer, list[Answer]]:
    """Retry 429/503/409-in-progress like a desktop (bounded; pauses shorter than Retry-After to keep
    the suites fast). Returns the last answer and every answer seen."""
    seen: list[Answer] = []
    for attempt in range(attempts):
        answer = post(stack, token, body, idempotency_key=idempotency_key)
        seen.append(answer)
        retryable = answer.status in (429, 503) or answer.error == "ESCALATION_IN_PROGRESS"
        if not retryable:
            return answer, seen
        time.sleep(min(float(answer.headers.get("Retry-After", 1)), pause * (attempt + 1)))
    return seen[-1], seen


# -- the SLA-breach producer ------------------------------------------------------------------------


def events_client() -> Any:
    """A boto3 `events` client; the stack points AWS_ENDPOINT_URL_EVENTBRIDGE at the local bus."""
    return boto3.client("events", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))


def breach_detail(contact_id: str, **extra: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "contactId": contact_id,
        "instanceId": INSTANCE_ID,
        "slaSeconds": 3600,
        "breachedAt": datetime.now(UTC).isoformat(),
    }
    detail.update(extra)
    return detail


def breach_entry(contact_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "Source": SLA_BREACH_SOURCE,
        "DetailType": SLA_BREACH_DETAIL_TYPE,
        "Detail": json.dumps(breach_detail(contact_id, **extra)),
    }


def put_entries(client: Any, entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """PutEvents in batches of 10; returns one result entry (EventId or ErrorCode) per entry."""
    results: list[dict[str, Any]] = []
    for start in range(0, len(entries), 10):
        response = client.put_events(Entries=list(entries[start : start + 10]))
        results.extend(response["Entries"])
    return results


def put_breaches(client: Any, contact_ids: Sequence[str], **extra: Any) -> list[str]:
    """One SLA-breach event per contact; returns the event ids the bus assigned."""
    results = put_entries(client, [breach_entry(contact_id, **extra) for contact_id in contact_ids])
    assert all("EventId" in result for result in results), results
    return [result["EventId"] for result in results]


def event_escalation_id(contact_id: str, reason: str = "SLA_BREACH") -> str:
    """The id the running local stack's handler gives this breach (keyed with the stack's secret)."""
    return escalation_id(
        _id_secret(os.environ[EnvVar.DEAD_LETTER_MAC_KEY_ID]), INSTANCE_ID, contact_id, reason
    )


@functools.cache
def _id_secret(mac_key_id: str) -> bytes:
    # As the handler derives it, from the stack's KMS (the environment the local stack applied).
    answer = boto3.client("kms").generate_mac(
        Message=ID_SECRET_LABEL, KeyId=mac_key_id, MacAlgorithm=MAC_ALGORITHM
    )
    return answer["Mac"]


# -- reading back -----------------------------------------------------------------------------------


def wait_until[T](
    predicate: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.05, what: str = "condition"
) -> T:
    """Poll until `predicate` returns something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def wait_idle(stack: LocalStack, timeout: float = IDLE_TIMEOUT) -> None:
    """Wait for every queued, retrying or running invocation on the stack's bus to finish."""
    assert stack.bus.wait_idle(timeout), "the local bus did not drain in time"


def transfers_of(stack: LocalStack, contact_id: str) -> list[dict[str, Any]]:
    return [dict(entry) for entry in stack.connect.ledger() if entry["contact_id"] == contact_id]


def record_contact_id(record: Mapping[str, Any]) -> str | None:
    """The contact a DLQ record is about: the handler's own record or a Lambda destination record."""
    if record.get("kind") == "escalation-dead-letter":
        return record.get("contactId")
    payload = record.get("requestPayload")
    detail = payload.get("detail") if isinstance(payload, dict) else None
    value = detail.get("contactId") if isinstance(detail, dict) else None
    return value if isinstance(value, str) else None


def is_destination_record(record: Mapping[str, Any]) -> bool:
    return isinstance(record.get("requestContext"), dict) and "requestPayload" in record


def dlq_of(stack: LocalStack, contact_id: str) -> list[dict[str, Any]]:
    return [record for record in stack.dlq_records() if record_contact_id(record) == contact_id]


def alerts_of(alerts: Sequence[Any], contact_id: str) -> list[dict[str, Any]]:
    """Alert bodies (parsed) about one contact, with the SNS subject under `_subject`."""
    found = []
    for alert in alerts:
        body = alert.json()
        if body.get("contactId") == contact_id:
            found.append({**body, "_subject": alert.subject})
    return found


def emf_metrics(text: str) -> dict[str, float]:
    """Sum EMF metric values by name from captured handler stdout (Powertools prints one JSON a line)."""
    totals: dict[str, float] = {}
    for line in text.splitlines():
        for sample in emf_samples(line):
            totals[sample.name] = totals.get(sample.name, 0.0) + sum(sample.values)
    return totals


class ManualClock:
    """A scheduler clock a test moves by hand (`now`, epoch seconds), from the wall clock's now."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now
