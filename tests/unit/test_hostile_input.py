"""Hostile API bodies and oversized events: a 4xx (or INVALID_EVENT) with a reason; no 5xx, DLQ or alert."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalation.outcomes import MAX_DEAD_LETTER_BYTES, TRIMMED_MARKER, fit_dead_letter
from escalation.triggers.api_guard import MAX_BODY_BYTES
from escalation.triggers.sla_event import MAX_EVENT_BYTES
from tests.error_table import CALLER_MISTAKES, CallerMistakeRow
from tests.unit.builders import CONTACT_ID, api_event, contact, sla_event, transferred
from tests.unit.harness import AwsWorld, ConnectStub, api_body
from tests.unit.test_handler_api import expect_transfer_to_tier2

Invoke = Callable[[Any], Any]
GOOD = '{"contactId": "' + CONTACT_ID + '", "reason": "R"'


def assert_refused_quietly(response: dict[str, Any], aws: AwsWorld, status: int, code: str) -> None:
    assert response["statusCode"] == status, response
    body = api_body(response)
    assert set(body) == {"error", "message"}, body
    assert body["error"] == code, body
    assert aws.dead_letters() == []
    assert aws.alerts() == []


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(GOOD + ', "x": ' + "[" * 1000 + "]" * 1000 + "}", id="deep-arrays"),
        pytest.param(GOOD + ', "x": ' + '{"a":' * 1000 + "1" + "}" * 1000 + "}", id="deep-objects"),
        pytest.param(GOOD + ', "x": ' + "9" * 4301 + "}", id="huge-int-extra"),
        pytest.param('{"contactId": ' + "9" * 4301 + ', "reason": "R"}', id="huge-int-field"),
        pytest.param('{"contactId": "c", "reason": "R", "x": 1e999999}', id="huge-float"),
        pytest.param('{"contactId": "c", "reason": NaN}', id="nan"),
    ],
)
def test_hostile_json_is_400_not_recorded(invoke: Invoke, aws: AwsWorld, raw: str) -> None:
    assert_refused_quietly(invoke(api_event(raw_body=raw)), aws, 400, "INVALID_BODY")


@pytest.mark.parametrize(
    "raw", ["[]", f'[{{"contactId": "{CONTACT_ID}", "reason": "R"}}]', "1", '"s"', "null"]
)
def test_a_body_that_is_not_an_object_is_400(invoke: Invoke, aws: AwsWorld, raw: str) -> None:
    assert_refused_quietly(invoke(api_event(raw_body=raw)), aws, 400, "INVALID_BODY")


def test_a_body_above_the_bound_is_413_before_parsing(invoke: Invoke, aws: AwsWorld) -> None:
    raw = '{"contactId": "c", "reason": "R", "note": "' + "n" * MAX_BODY_BYTES + '"}'
    assert_refused_quietly(invoke(api_event(raw_body=raw)), aws, 413, "PAYLOAD_TOO_LARGE")


def test_a_base64_body_above_the_bound_is_413(invoke: Invoke, aws: AwsWorld) -> None:
    encoded = base64.b64encode(b"{" + b" " * MAX_BODY_BYTES + b"}").decode()
    event = {**api_event(), "isBase64Encoded": True, "body": encoded}
    assert_refused_quietly(invoke(event), aws, 413, "PAYLOAD_TOO_LARGE")


def test_a_two_megabyte_field_is_413_and_nothing_fails(invoke: Invoke, aws: AwsWorld) -> None:
    raw = '{"contactId": "c", "reason": "R", "x": "' + "x" * 2_000_000 + '"}'
    assert_refused_quietly(invoke(api_event(raw_body=raw)), aws, 413, "PAYLOAD_TOO_LARGE")


def test_a_body_at_the_bound_is_parsed(invoke: Invoke, aws: AwsWorld) -> None:
    prefix = '{"contactId": "c", "reason": "R", "pad": "'
    raw = prefix + "p" * (MAX_BODY_BYTES - len(prefix) - 2) + '"}'
    assert len(raw.encode()) == MAX_BODY_BYTES
    body = api_body(invoke(api_event(raw_body=raw)))
    assert body["error"] == "INVALID_BODY"  # the schema refuses the extra field: it was parsed
    assert "pad" in body["message"]


@pytest.mark.parametrize("media_type", ["Application/JSON", "APPLICATION/JSON; charset=UTF-8"])
def test_media_types_compare_case_insensitively(
    invoke: Invoke, connect_stub: ConnectStub, media_type: str
) -> None:
    expect_transfer_to_tier2(connect_stub)
    assert invoke(api_event(headers={"Content-Type": media_type}))["statusCode"] == 200


json_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)
)


@st.composite
def hostile_bodies(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["deep", "huge-int", "array", "oversized", "scalar"]))
    if kind == "deep":
        depth = draw(st.integers(min_value=200, max_value=3000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"k":', "}")]))
        return GOOD + ', "x": ' + opener * depth + "0" + closer * depth + "}"
    if kind == "huge-int":
        digits = draw(st.integers(min_value=4301, max_value=20_000))
        field = draw(st.sampled_from(["contactId", "reason", "x"]))
        return json.dumps({"contactId": "c", "reason": "R"})[:-1] + f', "{field}": ' + "7" * digits + "}"
    if kind == "array":
        return json.dumps(
            draw(st.lists(st.fixed_dictionaries({"contactId": st.text(min_size=1)}), max_size=3))
        )
    if kind == "oversized":
        extra = draw(st.integers(min_value=1, max_value=200_000))
        return '{"contactId": "c", "reason": "' + "r" * (MAX_BODY_BYTES + extra) + '"}'
    return json.dumps(draw(json_leaves))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=hostile_bodies())
def test_hypothesis_hostile_bodies_are_4xx_never_recorded(invoke: Invoke, aws: AwsWorld, raw: str) -> None:
    response = invoke(api_event(raw_body=raw))
    assert 400 <= response["statusCode"] < 500, response
    assert set(api_body(response)) == {"error", "message"}
    assert aws.dead_letters() == []
    assert aws.alerts() == []


# --- events -----------------------------------------------------------------------------------------


def test_an_oversized_event_is_invalid_with_its_sizes_not_its_content(invoke: Invoke, aws: AwsWorld) -> None:
    event = sla_event(padding="p" * (MAX_EVENT_BYTES + 10))
    result = invoke(event)
    assert result["error"] == "INVALID_EVENT"
    (record,) = aws.dead_letters()
    assert record["errorCode"] == "INVALID_EVENT"
    dumped = json.dumps(record)
    assert "p" * 1000 not in dumped
    assert str(MAX_EVENT_BYTES) in record["errorMessage"]
    assert aws.alerts() == []


def test_a_deeply_nested_event_is_invalid_not_a_crash(invoke: Invoke, aws: AwsWorld) -> None:
    event = sla_event()
    nested: Any = 0
    for _ in range(50_000):
        nested = [nested]
    event["detail"]["extra"] = nested
    result = invoke(event)
    assert result["error"] == "INVALID_EVENT"
    (record,) = aws.dead_letters()
    assert record["errorCode"] == "INVALID_EVENT"


# --- dead-letter records -----------------------------------------------------------------------------


def test_a_record_too_large_for_sqs_is_trimmed_with_its_sizes() -> None:
    record = {"errorCode": "X", "originalEvent": {"body": "b" * 2_000_000}}
    fitted = fit_dead_letter(record)
    assert fitted["errorCode"] == "X"
    assert fitted["originalEvent"][TRIMMED_MARKER] is True
    assert fitted["originalEvent"]["originalEventBytes"] > 2_000_000
    assert len(json.dumps(fitted)) <= MAX_DEAD_LETTER_BYTES


def test_a_record_that_cannot_be_serialised_is_still_written() -> None:
    nested: Any = 0
    for _ in range(200_000):
        nested = [nested]
    fitted = fit_dead_letter({"errorCode": "X", "originalEvent": {"x": nested}})
    assert fitted["originalEvent"][TRIMMED_MARKER] is True
    json.dumps(fitted)


def test_a_small_record_is_sent_whole() -> None:
    record = {"errorCode": "X", "originalEvent": {"body": "small"}}
    assert fit_dead_letter(record) == record


def test_dead_letter_records_keep_only_allowlisted_headers(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(contact())
    connect_stub.error("transfer_contact", "AccessDeniedException", 403)
    headers = {"X-Api-Key": "key-123", "Proxy-Authorization": "Basic abc", "Idempotency-Key": "k-1"}
    invoke(api_event(headers=headers))

    (record,) = aws.dead_letters()
    kept = {name.lower() for name in record["originalEvent"]["headers"]}
    assert kept == {"content-type", "host", "idempotency-key"}
    assert "key-123" not in json.dumps(record)
    assert "Basic abc" not in json.dumps(record)


# --- the caller-mistake rows of the error table -----------------------------------------------------


def _provoke(case: str, stub: ConnectStub, invoke: Invoke) -> dict[str, Any]:
    """Send the request of one CALLER_MISTAKES row (after whatever earlier request it needs)."""
    if case == "body-over-64KiB":
        return api_event(raw_body='{"contactId": "c", "reason": "' + "r" * MAX_BODY_BYTES + '"}')
    if case == "body-an-array":
        return api_event(raw_body=f'[{{"contactId": "{CONTACT_ID}", "reason": "R"}}]')
    if case == "body-nested-too-deeply":
        return api_event(raw_body=GOOD + ', "x": ' + "[" * 100 + "]" * 100 + "}")
    if case == "number-too-long":
        return api_event(raw_body=GOOD + ', "x": ' + "1" * 5000 + "}")
    if case == "idempotency-key-too-long":
        return api_event(headers={"Idempotency-Key": "k" * 256})
    if case == "idempotency-key-reused":
        stub.describe(contact())
        stub.transfer(transferred(), queue_id="queue-tier2")
        assert invoke(api_event(headers={"Idempotency-Key": "k-1"}))["statusCode"] == 200
        stub.describe(contact())
        return api_event(
            {"contactId": CONTACT_ID, "reason": "BILLING_DISPUTE"}, headers={"Idempotency-Key": "k-1"}
        )
    if case == "unknown-contact-not-a-supervisor":
        stub.error("describe_contact", "ResourceNotFoundException", 404)
        return api_event()
    if case == "target-arn-of-another-instance":
        stub.describe(contact())
        other = "arn:aws:connect:us-east-1:123456789012:instance/other/queue/queue-supervisors"
        return api_event(
            {"contactId": CONTACT_ID, "reason": "CUSTOMER_UNHAPPY", "target": {"queueId": other}}
        )
    raise AssertionError(f"no request for {case}")


@pytest.mark.parametrize("row", CALLER_MISTAKES, ids=[row.case for row in CALLER_MISTAKES])
def test_each_caller_mistake_is_answered_as_the_error_table_says(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld, row: CallerMistakeRow
) -> None:
    response = invoke(_provoke(row.case, connect_stub, invoke))
    assert_refused_quietly(response, aws, row.api_status, row.api_code)


def test_an_event_holding_a_number_too_long_to_print_is_invalid(invoke: Invoke, aws: AwsWorld) -> None:
    result = invoke(sla_event(slaSeconds=10**5000))
    assert result["error"] == "INVALID_EVENT"
    (record,) = aws.dead_letters()
    assert record["errorCode"] == "INVALID_EVENT"
    assert aws.alerts() == []
