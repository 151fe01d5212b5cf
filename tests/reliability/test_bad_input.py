"""Bad input: nothing a caller or an upstream system sends makes the service fail.

- The API, fuzzed by schemathesis from openapi.json (positive and negative data) with a valid dev
  token, plus Hypothesis bodies on real contacts and hand-made malformed payloads: no answer >= 500,
  every 4xx is the JSON `{"error", "message"}` body, every answer conforms to the document.
- EventBridge events from Hypothesis through PutEvents (wrong types, missing fields, huge strings,
  unicode, other sources and detail-types): each is rejected by PutEvents, dropped by the rule's
  pattern, or refused with a reason in the DLQ; no invocation fails (no on-failure record, no retry).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from escalation.contract import SLA_BREACH_DETAIL_TYPE, SLA_BREACH_SOURCE
from local.stack import INSTANCE_ID, LocalStack, StackOptions
from tests.integration.support import (
    REPO_ROOT,
    SUPERVISOR,
    events_client,
    is_destination_record,
    post,
    put_entries,
    suite_stack_options,
    transfers_of,
    wait_idle,
)
from tests.reliability.sizes import MAX_EXAMPLES

schema = schemathesis.openapi.from_path(REPO_ROOT / "openapi.json")
AUTH = {"Authorization": f"Bearer {SUPERVISOR}"}


@pytest.fixture(scope="module")
def stack_options() -> StackOptions:
    return suite_stack_options(extra_env={"CONNECT_MAX_ATTEMPTS": "2"})


def assert_error_body(status: int, body: Any) -> None:
    assert status < 500, (status, body)
    if 400 <= status < 500:
        assert isinstance(body, dict), body
        assert isinstance(body.get("error"), str), body
        assert body["error"], body
        assert isinstance(body.get("message"), str), body


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# -- the API -----------------------------------------------------------------------------------------


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_fuzzed_from_the_openapi_document(case: Any, stack: LocalStack) -> None:
    # The document declares bearer auth, so generated cases carry a random token: use a valid one (a
    # gateway 401 is the gateway's own answer, not the handler's; test_authorization covers it).
    case.headers = {**(case.headers or {}), **AUTH}
    if case.method.upper() != case.operation.method.upper():
        # Other methods (schemathesis' unsupported-method probes) are answered by API Gateway itself,
        # never by the handler; the local gateway answers 403, or http.server's 501 for TRACE.
        return
    response = case.call(base_url=stack.api.url, headers=AUTH, timeout=30)
    case.validate_response(
        response,
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
        headers=AUTH,
    )
    try:
        body = response.json()
    except ValueError:
        body = response.text
    assert_error_body(response.status_code, body)


reasons = st.text(min_size=0, max_size=140)
ids = st.one_of(
    st.sampled_from(["queue-tier2", "queue-supervisors", "agent-bob", "agent-alice"]), st.text(max_size=40)
)
targets: st.SearchStrategy[dict[str, str] | None] = st.one_of(
    st.none(),
    st.fixed_dictionaries({"queueId": ids}),
    st.fixed_dictionaries({"userId": ids}),
    st.fixed_dictionaries({"queueId": ids, "userId": ids}),
    st.fixed_dictionaries({}),
)


@settings(max_examples=MAX_EXAMPLES // 2, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    reason=reasons,
    target=targets,
    note=st.one_of(st.none(), st.text(max_size=1100)),
    channel=st.sampled_from(["TASK", "EMAIL", "VOICE", "CHAT"]),
)
def test_api_bodies_on_real_contacts_never_fail(
    stack: LocalStack, reason: str, target: dict[str, str] | None, note: str | None, channel: str
) -> None:
    contact = stack.add_contact(channel, queue_id="queue-tier1", agent_id="agent-alice")
    body: dict[str, Any] = {"contactId": contact, "reason": reason}
    if target is not None:
        body["target"] = target
    if note is not None:
        body["note"] = note

    answer = post(stack, SUPERVISOR, body)

    assert_error_body(answer.status, answer.body)
    transfers = transfers_of(stack, contact)
    if answer.status == 200:
        [transfer] = transfers
        assert answer.body["newContactId"] == transfer["new_contact_id"]
    else:
        assert transfers == []
        assert answer.status in {400, 409, 422}, answer


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"", "application/json"),
        (b"not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"null", "application/json"),
        (b'"a string"', "application/json"),
        (b'{"contactId": 1, "reason": []}', "application/json"),
        (b'{"contactId": "c", "reason": "r", "extra": 1}', "application/json"),
        (b'{"contactId": "c", "reason": "r", "target": {"queueId": "a", "userId": "b"}}', "application/json"),
        (b'{"contactId": "c", "reason": "r", "target": {}}', "application/json"),
        (b'{"contactId": "c"', "application/json"),
        pytest.param(b"\xff\xfe\x00garbage", "application/octet-stream"),
        pytest.param(b'{"contactId": "\x93", "reason": "r"}', "application/json"),
        pytest.param(b'{"contactId": "c", "reason": "r"}', "text/plain"),
        (b'{"contactId": "' + b"x" * 300_000 + b'", "reason": "r"}', "application/json"),
        ('{"contactId": "ç☃\U0001f600", "reason": "\u0000"}'.encode(), "application/json"),
    ],
    ids=[
        "empty",
        "not-json",
        "array",
        "null",
        "string",
        "wrong-types",
        "extra-field",
        "both-targets",
        "empty-target",
        "truncated",
        "binary",
        "json-not-utf8",
        "text-plain",
        "huge",
        "unicode-and-nul",
    ],
)
def test_malformed_payloads_are_4xx_with_an_error_body(
    stack: LocalStack, raw: bytes, content_type: str
) -> None:
    answer = post(stack, SUPERVISOR, None, raw=raw, headers={"Content-Type": content_type})
    assert 400 <= answer.status < 500, answer
    assert_error_body(answer.status, answer.body)


HEAD = '{"contactId": "c-hostile", "reason": "R"'


@st.composite
def hostile_bodies(draw: st.DrawFn) -> tuple[bytes, int]:
    """A body a hostile client sends, with the status it must get."""
    kind = draw(st.sampled_from(["deep", "huge-int", "array", "oversized", "oversized-field", "scalar"]))
    if kind == "deep":
        depth = draw(st.integers(min_value=20, max_value=5000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"k":', "}")]))
        return (HEAD + ', "x": ' + opener * depth + "0" + closer * depth + "}").encode(), 400
    if kind == "huge-int":
        digits = draw(st.integers(min_value=4301, max_value=50_000))
        return (HEAD + ', "x": ' + "9" * digits + "}").encode(), 400
    if kind == "array":
        items = draw(st.lists(st.just({"contactId": "c-hostile", "reason": "R"}), min_size=0, max_size=3))
        return json.dumps(items).encode(), 400
    if kind == "oversized":
        # Valid for the gateway's request model (padding is whitespace), so the handler's own bound
        # answers; an oversized field is the gateway's 400 (its model's maxLength) before that.
        extra = draw(st.integers(min_value=1, max_value=300_000))
        return (HEAD + " " * (64 * 1024 + extra) + "}").encode(), 413
    if kind == "oversized-field":
        extra = draw(st.integers(min_value=1, max_value=300_000))
        return (HEAD + ', "note": "' + "n" * (64 * 1024 + extra) + '"}').encode(), 400
    return json.dumps(draw(st.one_of(st.none(), st.integers(), st.text(max_size=20)))).encode(), 400


@settings(max_examples=MAX_EXAMPLES // 2, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=hostile_bodies())
def test_hostile_bodies_are_4xx_never_dead_lettered_or_alerted(
    stack: LocalStack, case: tuple[bytes, int]
) -> None:
    raw, expected = case
    stack.aws.purge()
    answer = post(stack, SUPERVISOR, None, raw=raw)
    assert answer.status == expected, answer
    assert_error_body(answer.status, answer.body)
    assert stack.dlq_records() == []
    assert stack.aws.alerts() == []


@pytest.mark.parametrize("media_type", ["Application/JSON", "APPLICATION/JSON; Charset=UTF-8"])
def test_media_types_compare_case_insensitively(stack: LocalStack, media_type: str) -> None:
    contact = stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")
    body = json.dumps({"contactId": contact, "reason": "CUSTOMER_REQUEST"}).encode()
    answer = post(stack, SUPERVISOR, None, raw=body, headers={"Content-Type": media_type})
    assert answer.status == 200, answer


# -- EventBridge events ------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
huge_text = st.integers(min_value=257, max_value=5000).map(lambda n: "é" * n)
contact_ids = st.one_of(st.text(max_size=64), huge_text, json_values, st.just(""), st.just("../../instance"))
details = st.fixed_dictionaries(
    {},
    optional={
        "contactId": contact_ids,
        "instanceId": st.one_of(
            st.just(INSTANCE_ID), st.just("arn:aws:connect:us-east-1:1:instance/other"), json_values
        ),
        "channel": st.one_of(st.sampled_from(["TASK", "email", "VOICE"]), json_values),
        "queueId": json_values,
        "slaSeconds": st.one_of(st.integers(), json_values),
        "breachedAt": st.one_of(st.just("2024-01-01T00:00:00Z"), st.text(max_size=30), json_values),
        "reason": st.one_of(st.text(max_size=200), json_values),
        "extra": json_values,
    },
)
entries = st.fixed_dictionaries(
    {
        "Source": st.one_of(
            st.just(SLA_BREACH_SOURCE), st.sampled_from(["escalation.SLA", "other.system", "aws.connect"])
        ),
        "DetailType": st.one_of(
            st.just(SLA_BREACH_DETAIL_TYPE), st.sampled_from(["Contact SLA breached", "Something Else"])
        ),
        "Detail": st.one_of(
            details.map(json.dumps), details.map(json.dumps), st.sampled_from(["[]", "1", "{"])
        ),
    }
)

# What the handler may answer a malformed or unknown event with (every one a DEAD_LETTER, no alert).
REFUSALS = {"INVALID_EVENT", "CONTACT_NOT_FOUND", "FOREIGN_INSTANCE"}


@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(batch=st.lists(entries, min_size=1, max_size=5))
def test_hypothesis_events_are_refused_with_a_reason_or_dropped_never_crash(
    stack: LocalStack, batch: list[dict[str, str]]
) -> None:
    wait_idle(stack)
    stack.aws.purge()
    before = stack.bus.stats

    results = put_entries(events_client(), batch)
    wait_idle(stack)

    after = stack.bus.stats
    assert after.errors == before.errors  # no invocation raised: no crash, nothing retried
    assert after.destination_records == before.destination_records
    records = stack.dlq_records()
    assert not [r for r in records if is_destination_record(r)]
    by_event = {r["originalEvent"].get("id"): r for r in records}
    assert len(by_event) == len(records)  # one record per refused event
    for entry, result in zip(batch, results, strict=True):
        if "ErrorCode" in result:
            continue  # PutEvents refused the entry itself (malformed detail, aws.* source)
        matched = entry["Source"] == SLA_BREACH_SOURCE and entry["DetailType"] == SLA_BREACH_DETAIL_TYPE
        record = by_event.get(result["EventId"])
        if not matched:
            assert record is None  # dropped by the rule's pattern, by design
            continue
        assert record is not None, (entry, records)
        assert record["decision"] == "DEAD_LETTER", record
        assert record["errorCode"] in REFUSALS, record
        assert record["errorMessage"]
    assert stack.aws.alerts() == []
