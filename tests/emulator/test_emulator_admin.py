"""The HTTP admin interface, its Python client, and the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from local.connect_emulator import ConnectEmulator, EmulatorAdminClient, EmulatorAdminError
from local.connect_emulator.testing import connect_client

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def admin(emulator: ConnectEmulator) -> EmulatorAdminClient:
    return EmulatorAdminClient(emulator.endpoint_url)


def test_admin_client_seeds_and_inspects(admin: EmulatorAdminClient, connect: Any) -> None:
    assert admin.health() == {"ok": True}
    instance = admin.add_instance("inst-http")
    queue = admin.add_queue(instance, name="Escalations", status="DISABLED")
    flow = admin.add_flow(instance, flow_type="QUEUE_TRANSFER")
    agent = admin.add_agent(instance, "agent-http", status="Offline", slots={"TASK": 1})
    contact = admin.add_contact(instance, "TASK", queue_id=queue, attributes={"a": "1"})
    assert admin.contact_arn(instance, contact).endswith(f"/contact/{contact}")

    new_id = connect.transfer_contact(
        InstanceId=instance, ContactId=contact, ContactFlowId=flow, QueueId=queue, ClientToken="t"
    )["ContactId"]
    record = admin.get_contact(instance, new_id)
    assert record["previous_contact_id"] == contact
    assert record["attributes"] == {"a": "1"}
    assert admin.get_contact(instance, contact)["ended"] is True
    (entry,) = admin.ledger()
    assert (entry["new_contact_id"], entry["client_token"]) == (new_id, "t")

    admin.set_agent_status(instance, agent, "Available")
    data = connect.get_current_user_data(InstanceId=instance, Filters={"Agents": [agent]})
    assert data["UserDataList"][0]["Status"]["StatusName"] == "Available"
    assert admin.stats()["requests"] == {"TransferContact": 1, "GetCurrentUserData": 1}


def test_admin_client_controls_quota_faults_and_access(
    admin: EmulatorAdminClient, emulator: ConnectEmulator
) -> None:
    instance = admin.add_instance("inst-http")
    contact = admin.add_contact(instance)
    connect = connect_client(emulator.endpoint_url)

    admin.set_quota(rate=0.1, burst=1, operation="DescribeContact")
    admin.set_quota_scale(1.0)
    assert admin.get_quota()["operations"]["DescribeContact"] == {"rate": 0.1, "burst": 1}
    connect.describe_contact(InstanceId=instance, ContactId=contact)
    with pytest.raises(connect.exceptions.ThrottlingException):
        connect.describe_contact(InstanceId=instance, ContactId=contact)
    admin.set_quota(rate=None)

    admin.set_faults("DescribeContact", script=["internal"], seed=1)
    assert admin.get_faults()["DescribeContact"]["script"] == ["internal"]
    with pytest.raises(connect.exceptions.InternalServiceException):
        connect.describe_contact(InstanceId=instance, ContactId=contact)
    admin.clear_faults("DescribeContact")

    admin.deny("DescribeContact")
    with pytest.raises(connect.exceptions.AccessDeniedException):
        connect.describe_contact(InstanceId=instance, ContactId=contact)
    admin.allow("DescribeContact")
    connect.describe_contact(InstanceId=instance, ContactId=contact)

    admin.reset()
    assert admin.ledger() == []
    with pytest.raises(connect.exceptions.ResourceNotFoundException):
        connect.describe_contact(InstanceId=instance, ContactId=contact)


def test_admin_errors_are_reported(admin: EmulatorAdminClient) -> None:
    with pytest.raises(EmulatorAdminError, match="unknown instance") as raised:
        admin.add_queue("missing-instance")
    assert raised.value.status == 400
    instance = admin.add_instance()
    with pytest.raises(EmulatorAdminError, match="channel"):
        admin.add_contact(instance, "FAX")
    with pytest.raises(EmulatorAdminError, match="unknown fault kind"):
        admin.set_faults(script=["explode"])
    with pytest.raises(EmulatorAdminError) as unknown:
        admin._call("no_such_method")
    assert unknown.value.status == 404


def test_admin_get_requests_work_without_a_body(emulator: ConnectEmulator) -> None:
    url = f"{emulator.endpoint_url}/_emulator/ledger"
    with urllib.request.urlopen(url, timeout=2) as response:
        assert json.loads(response.read()) == {"result": []}


def test_cli_prints_the_url_and_stops_on_sigterm(tmp_path: Path) -> None:
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
        admin = EmulatorAdminClient(url)
        assert admin.get_quota()["default"] == {"rate": 2.0, "burst": 5}
        assert admin.get_faults()["TransferContact"]["script"] == ["throttle"]
        contact = admin.add_contact("cli-instance")
        connect = connect_client(url)
        assert connect.describe_contact(InstanceId="cli-instance", ContactId=contact)["Contact"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
