"""The HTTP admin interface, its Python client, and the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from local.connect_emulator import (
    ADMIN_CALLS,
    ADMIN_PREFIX,
    AccessRule,
    AgentSeed,
    AgentStatusChange,
    ConnectEmulator,
    ContactRef,
    ContactSeed,
    EmulatorAdmin,
    EmulatorAdminClient,
    EmulatorAdminError,
    FaultPlan,
    FaultScope,
    FlowSeed,
    InstanceSeed,
    QueueSeed,
    QuotaPlan,
    QuotaScale,
)
from local.connect_emulator.testing import connect_client

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def admin(emulator: ConnectEmulator) -> EmulatorAdmin:
    return EmulatorAdminClient(emulator.endpoint_url)


def test_admin_client_seeds_contacts_and_reads_them_back_over_http(
    admin: EmulatorAdmin, connect: Any
) -> None:
    assert admin.health() == {"ok": True}
    instance = admin.add_instance(InstanceSeed("inst-http"))
    queue = admin.add_queue(QueueSeed(instance, name="Escalations", status="DISABLED"))
    flow = admin.add_flow(FlowSeed(instance, flow_type="QUEUE_TRANSFER"))
    agent = admin.add_agent(AgentSeed(instance, "agent-http", status="Offline", slots={"TASK": 1}))
    contact = admin.add_contact(ContactSeed(instance, "TASK", queue_id=queue, attributes={"a": "1"}))
    assert admin.contact_arn(ContactRef(instance, contact)).endswith(f"/contact/{contact}")

    new_id = connect.transfer_contact(
        InstanceId=instance, ContactId=contact, ContactFlowId=flow, QueueId=queue, ClientToken="t"
    )["ContactId"]
    record = admin.get_contact(ContactRef(instance, new_id))
    assert record["previous_contact_id"] == contact
    assert record["attributes"] == {"a": "1"}
    assert admin.get_contact(ContactRef(instance, contact))["ended"] is True
    (entry,) = admin.ledger()
    assert (entry["new_contact_id"], entry["client_token"]) == (new_id, "t")

    admin.set_agent_status(AgentStatusChange(instance, agent, "Available"))
    data = connect.get_current_user_data(InstanceId=instance, Filters={"Agents": [agent]})
    (user_data,) = data["UserDataList"]
    assert user_data["Status"]["StatusName"] == "Available"
    assert admin.stats()["requests"] == {"TransferContact": 1, "GetCurrentUserData": 1}


def test_admin_client_sets_quota_faults_and_deny_rules_over_http(
    admin: EmulatorAdmin, emulator: ConnectEmulator
) -> None:
    instance = admin.add_instance(InstanceSeed("inst-http"))
    contact = admin.add_contact(ContactSeed(instance))
    connect = connect_client(emulator.endpoint_url)

    admin.set_quota(QuotaPlan(rate=0.1, burst=1, operation="DescribeContact"))
    admin.set_quota_scale(QuotaScale(1.0))
    assert admin.get_quota()["operations"]["DescribeContact"] == {"rate": 0.1, "burst": 1}
    connect.describe_contact(InstanceId=instance, ContactId=contact)
    with pytest.raises(connect.exceptions.ThrottlingException):
        connect.describe_contact(InstanceId=instance, ContactId=contact)
    admin.set_quota(QuotaPlan(rate=None))

    admin.set_faults(FaultPlan("DescribeContact", script=["internal"], seed=1))
    assert admin.get_faults()["DescribeContact"]["script"] == ["internal"]
    with pytest.raises(connect.exceptions.InternalServiceException):
        connect.describe_contact(InstanceId=instance, ContactId=contact)
    admin.clear_faults(FaultScope("DescribeContact"))

    admin.deny(AccessRule("DescribeContact"))
    with pytest.raises(connect.exceptions.AccessDeniedException):
        connect.describe_contact(InstanceId=instance, ContactId=contact)
    admin.allow(AccessRule("DescribeContact"))
    connect.describe_contact(InstanceId=instance, ContactId=contact)

    admin.reset()
    assert admin.ledger() == []
    with pytest.raises(connect.exceptions.ResourceNotFoundException):
        connect.describe_contact(InstanceId=instance, ContactId=contact)


def test_admin_client_raises_the_refusals_of_bad_arguments_and_unknown_calls(
    emulator: ConnectEmulator,
) -> None:
    admin = EmulatorAdminClient(emulator.endpoint_url)
    with pytest.raises(EmulatorAdminError, match="unknown instance") as raised:
        admin.add_queue(QueueSeed("missing-instance"))
    assert raised.value.status == 400
    instance = admin.add_instance(InstanceSeed())
    with pytest.raises(EmulatorAdminError, match="channel"):
        admin.add_contact(ContactSeed(instance, "FAX"))
    with pytest.raises(EmulatorAdminError, match="unknown fault kind"):
        admin.set_faults(FaultPlan(script=["explode"]))
    with pytest.raises(EmulatorAdminError) as unknown:
        admin.call("no_such_method")
    assert unknown.value.status == 404


def post_admin(emulator: ConnectEmulator, name: str, fields: dict[str, Any]) -> tuple[int, Any]:
    """One raw admin call: the HTTP status and the decoded JSON answer."""
    request = urllib.request.Request(
        f"{emulator.endpoint_url}{ADMIN_PREFIX}{name}", data=json.dumps(fields).encode(), method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_admin_call_with_a_field_its_dataclass_lacks_is_a_400(emulator: ConnectEmulator) -> None:
    status, answer = post_admin(emulator, "add_instance", {"instance_id": "i-1", "colour": "blue"})
    assert status == 400
    assert "colour" in answer["error"]


def test_the_server_answers_every_call_of_the_admin_protocol_and_no_other(emulator: ConnectEmulator) -> None:
    declared = {name for name in dir(EmulatorAdmin) if not name.startswith("_")}
    assert set(ADMIN_CALLS) == declared
    for name in sorted(declared):
        status, _ = post_admin(emulator, name, {})
        assert status in (200, 400), name  # 400: the call's dataclass has fields without defaults
    status, answer = post_admin(emulator, "no_such_call", {})
    assert status == 404
    assert answer["methods"] == sorted(declared)


def test_argument_free_admin_reads_answer_get_without_a_body(emulator: ConnectEmulator) -> None:
    url = f"{emulator.endpoint_url}/_emulator/ledger"
    with urllib.request.urlopen(url, timeout=2) as response:
        assert json.loads(response.read()) == {"result": []}


def test_cli_prints_its_url_serves_the_start_configuration_and_exits_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local.connect_emulator",
            "--port",
            "0",
            "--rate",
            "2",
            "--burst",
            "5",
            "--instance",
            "cli-instance",
            "--fault-script",
            "throttle",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        admin: EmulatorAdmin = EmulatorAdminClient(url)
        assert admin.get_quota()["default"] == {"rate": 2.0, "burst": 5}
        assert admin.get_faults()["TransferContact"]["script"] == ["throttle"]
        contact = admin.add_contact(ContactSeed("cli-instance"))
        connect = connect_client(url)
        assert connect.describe_contact(InstanceId="cli-instance", ContactId=contact)["Contact"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
