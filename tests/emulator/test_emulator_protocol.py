"""The wire: routing from botocore's model, validation, and Connect's error format."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from local.connect_emulator import ConnectEmulator, ContactSeed, EmulatorOptions, FaultPlan
from local.connect_emulator.protocol import match_route
from local.connect_emulator.testing import Scenario, seed_scenario


def raw(
    emulator: ConnectEmulator, method: str, path: str, body: Any = None
) -> tuple[int, dict[str, str], Any]:
    """One unsigned request (the emulator accepts any or no SigV4 signature)."""
    url = urlsplit(emulator.endpoint_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=2)
    try:
        payload = body if isinstance(body, bytes) else (None if body is None else json.dumps(body))
        connection.request(method, path, body=payload, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        headers = {key.lower(): value for key, value in response.getheaders()}
        return response.status, headers, json.loads(response.read() or b"null")
    finally:
        connection.close()


def assert_connect_error(answer: tuple[int, dict[str, str], Any], status: int, code: str) -> dict[str, Any]:
    got_status, headers, body = answer
    assert got_status == status
    assert headers["x-amzn-errortype"] == code
    assert headers["content-type"] == "application/json"
    assert headers["x-amzn-requestid"]
    assert body["__type"] == f"com.amazonaws.connect#{code}"
    assert body["Message"]
    return dict(body)


def test_missing_required_member_is_invalid_request(emulator: ConnectEmulator, seeded: Scenario) -> None:
    answer = raw(
        emulator,
        "POST",
        "/contact/transfer",
        {"InstanceId": seeded.instance, "ContactId": seeded.contact},
    )
    body = assert_connect_error(answer, 400, "InvalidRequestException")
    assert "ContactFlowId" in body["Message"]


def test_too_long_contact_id_is_invalid_request(emulator: ConnectEmulator, seeded: Scenario) -> None:
    answer = raw(
        emulator,
        "POST",
        "/contact/transfer",
        {"InstanceId": seeded.instance, "ContactId": "c" * 257, "ContactFlowId": seeded.queue_flow},
    )
    body = assert_connect_error(answer, 400, "InvalidRequestException")
    assert "ContactId" in body["Message"]
    assert "256" in body["Message"]
    assert "c" * 257 not in body["Message"]  # values are not echoed
    assert emulator.ledger() == []


def test_wrong_type_is_invalid_request(emulator: ConnectEmulator, seeded: Scenario) -> None:
    answer = raw(
        emulator,
        "POST",
        "/contact/transfer",
        {"InstanceId": seeded.instance, "ContactId": 12, "ContactFlowId": seeded.queue_flow},
    )
    assert_connect_error(answer, 400, "InvalidRequestException")


def test_malformed_json_is_invalid_request(emulator: ConnectEmulator) -> None:
    answer = raw(emulator, "POST", "/contact/transfer", b"{not json")
    assert_connect_error(answer, 400, "InvalidRequestException")


def test_operations_that_model_invalid_parameter_use_it(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    # boto3 checks only minimum lengths client-side, so the maximum reaches the emulator.
    with pytest.raises(connect.exceptions.InvalidParameterException, match="256"):
        connect.describe_contact(InstanceId=seeded.instance, ContactId="c" * 300)
    answer = raw(emulator, "GET", f"/contacts/{seeded.instance}/{'c' * 300}")
    assert_connect_error(answer, 400, "InvalidParameterException")


def test_numeric_ranges_and_enums_are_checked(emulator: ConnectEmulator, seeded: Scenario) -> None:
    path = f"/metrics/userdata/{seeded.instance}"
    too_many = {"Filters": {"Agents": [seeded.agent]}, "MaxResults": 1000}
    body = assert_connect_error(raw(emulator, "POST", path, too_many), 400, "InvalidParameterException")
    assert "MaxResults" in body["Message"]
    bad_state = {"Filters": {"Agents": [seeded.agent], "ContactFilter": {"ContactStates": ["BOGUS"]}}}
    body = assert_connect_error(raw(emulator, "POST", path, bad_state), 400, "InvalidParameterException")
    assert "enum" in body["Message"]


def test_unknown_route_is_a_typed_404(emulator: ConnectEmulator) -> None:
    assert_connect_error(raw(emulator, "GET", "/no/such/path"), 404, "UnknownOperationException")
    # Right path, wrong method.
    assert_connect_error(raw(emulator, "GET", "/contact/transfer"), 404, "UnknownOperationException")


def test_modelled_but_not_emulated_operation_answers_that_it_is_not_implemented(
    connect: Any, seeded: Scenario
) -> None:
    with pytest.raises(connect.exceptions.ClientError, match="does not implement ListQueues"):
        connect.list_queues(InstanceId=seeded.instance)


def test_path_labels_are_percent_decoded(emulator: ConnectEmulator, seeded: Scenario) -> None:
    contact = emulator.add_contact(ContactSeed(seeded.instance, "TASK", contact_id="with space"))
    status, _, body = raw(emulator, "GET", f"/contacts/{seeded.instance}/with%20space")
    assert status == 200
    assert body["Contact"]["Id"] == contact


def test_timestamps_are_epoch_seconds_on_the_wire(emulator: ConnectEmulator, seeded: Scenario) -> None:
    status, _, body = raw(emulator, "GET", f"/contacts/{seeded.instance}/{seeded.contact}")
    assert status == 200
    assert isinstance(body["Contact"]["InitiationTimestamp"], float | int)
    assert isinstance(body["Contact"]["QueueInfo"]["EnqueueTimestamp"], float | int)


def test_routes_are_read_from_the_botocore_model_and_leave_out_the_admin_prefix() -> None:
    found = match_route("GET", "/contacts/i-1/c-1", {})
    assert found is not None
    assert found.operation.name == "DescribeContact"
    assert found.labels == {"InstanceId": "i-1", "ContactId": "c-1"}
    transfer = match_route("POST", "/contact/transfer", {})
    assert transfer is not None
    assert transfer.operation.name == "TransferContact"
    assert match_route("PUT", "/contact/task", {}) is not None
    assert match_route("POST", "/_emulator/reset", {}) is None


def test_boto3_finds_the_emulator_through_aws_endpoint_url_connect(
    emulator: ConnectEmulator, seeded: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", emulator.endpoint_url)
    client = boto3.client("connect", region_name="us-east-1")
    contact = client.describe_contact(InstanceId=seeded.instance, ContactId=seeded.contact)
    assert contact["Contact"]["Id"] == seeded.contact


def test_call_answers_a_connect_request_without_http() -> None:
    # Not started: call() is the whole request path, the HTTP server only carries it.
    emulator = ConnectEmulator(EmulatorOptions(rate=None))
    scenario = seed_scenario(emulator)
    response = emulator.call("GET", f"/contacts/{scenario.instance}/{scenario.contact}", "", {}, b"")
    assert response is not None
    assert response.status == 200
    assert dict(response.headers)["x-amzn-RequestId"]
    assert json.loads(response.body)["Contact"]["Id"] == scenario.contact


def test_call_gives_no_answer_for_a_dropped_request_and_counts_it(emulator: ConnectEmulator) -> None:
    scenario = seed_scenario(emulator, "instance-drop")
    emulator.set_faults(FaultPlan("DescribeContact", script=["drop"]))
    path = f"/contacts/{scenario.instance}/{scenario.contact}"
    assert emulator.call("GET", path, "", {}, b"") is None
    assert emulator.stats()["requests"] == {"DescribeContact": 1}
