"""`make serve` as a newcomer meets it: a process, its banner, and every command the banner prints.

One serve process for the module (`python -m local.serve --port 0`, its run directory in a temporary
folder). Each `$ ` command of the banner is run with bash from the repository root, in a clean
environment without PYTHONPATH, with the banner's `export` lines before it, as a user pasting them
would; a command nobody checks here fails the test.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import boto3
import pytest

from local.aws_isolation import ISOLATION_UNSET, isolated_aws_variables
from local.connect_emulator import ContactRef, EmulatorAdminClient
from local.run_info import METRICS_FILE, RUN_INFO_FILE, RunInfo
from local.stack import INSTANCE_ID, REPO_ROOT

BANNER_END = "Ctrl-C stops everything."
START_TIMEOUT_SECONDS = 90.0
ASYNC_TIMEOUT_SECONDS = 30.0
CONTACT_ROW = re.compile(r"^\s+([0-9a-f-]{36})\s+(TASK|EMAIL|VOICE|CHAT)\s+(\S+)\s+(.+?)\s+(\d+)$")


@dataclass
class Serve:
    process: subprocess.Popen[str]
    banner: str
    run_dir: Path
    info: RunInfo
    env: dict[str, str]  # what the banner's commands run with

    @property
    def connect(self) -> EmulatorAdminClient:
        return EmulatorAdminClient(self.info.connect_url)


def clean_env(run_dir: Path, scratch: Path) -> dict[str, str]:
    # Not PYTHONPATH (the commands must run without it), nor an enclosing make's flags (`make test`).
    dropped = {*ISOLATION_UNSET, "PYTHONPATH", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(isolated_aws_variables(scratch))
    env["LOCAL_RUN_DIR"] = str(run_dir)
    return env


def read_banner(process: subprocess.Popen[str]) -> str:
    lines: list[str] = []
    done = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if BANNER_END in line:
                break
        done.set()

    threading.Thread(target=read, daemon=True).start()
    if not done.wait(START_TIMEOUT_SECONDS):
        process.kill()
        pytest.fail(f"no banner after {START_TIMEOUT_SECONDS:g} s:\n{''.join(lines)}")
    return "".join(lines)


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    run_dir = tmp_path_factory.mktemp("serve-run")
    env = clean_env(run_dir, tmp_path_factory.mktemp("serve-aws"))
    process = subprocess.Popen(
        [sys.executable, "-m", "local.serve", "--port", "0"],
        cwd=REPO_ROOT,
        env={**env, "PYTHONPATH": f"{REPO_ROOT / 'lambdas'}{os.pathsep}{REPO_ROOT}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = read_banner(process)
        assert process.poll() is None, banner
        yield Serve(process, banner, run_dir, RunInfo.load(run_dir), env)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0
    assert not (run_dir / RUN_INFO_FILE).exists(), "serve.json outlives the process"
    assert not (run_dir / METRICS_FILE).exists()


def banner_commands(banner: str) -> list[str]:
    """The `$ ` commands, continuation lines (ending in a backslash) joined as a shell reads them."""
    commands: list[str] = []
    current: list[str] | None = None
    for line in banner.splitlines():
        text = line.strip()
        if current is None and text.startswith("$ "):
            current = [text[2:]]
        elif current is not None:
            current.append(text)
        if current is not None and not text.endswith("\\"):
            commands.append("\n".join(current))
            current = None
    return commands


def banner_contacts(banner: str) -> list[tuple[str, str, str, str, int]]:
    return [
        (m[1], m[2], m[3], m[4], int(m[5])) for line in banner.splitlines() if (m := CONTACT_ROW.match(line))
    ]


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + ASYNC_TIMEOUT_SECONDS
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {ASYNC_TIMEOUT_SECONDS:g} s: {what}")
        time.sleep(0.2)


# -- the seeded contact centre


def test_serve_seeds_twenty_contacts_mostly_task_and_email(serve: Serve) -> None:
    contacts = banner_contacts(serve.banner)
    assert len(contacts) == 20
    channels = [channel for _, channel, _, _, _ in contacts]
    assert channels.count("TASK") + channels.count("EMAIL") >= 15
    assert {"VOICE", "CHAT"} <= set(channels)
    assert {"queue-tier1", "queue-billing"} <= {queue for _, _, queue, _, _ in contacts}
    for contact_id, channel, queue, agent, transfers in contacts:
        record = serve.connect.get_contact(ContactRef(INSTANCE_ID, contact_id))
        assert (record["channel"], record["queue_id"]) == (channel, queue)
        assert record["transfer_count"] == transfers
        assert record["agent_id"] == (None if agent.startswith("(") else agent)
        assert record["ended"] == (agent == "(ended)")


def test_serve_seeds_agents_in_different_states(serve: Serve) -> None:
    connect = boto3.client(
        "connect", endpoint_url=serve.info.connect_url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    agents = ["agent-alice", "agent-dave", "agent-erin"]
    users = connect.get_current_user_data(InstanceId=INSTANCE_ID, Filters={"Agents": agents})["UserDataList"]
    statuses = {user["User"]["Id"]: user["Status"]["StatusName"] for user in users}
    assert statuses == {"agent-alice": "Available", "agent-dave": "Available", "agent-erin": "Offline"}
    dave = next(user for user in users if user["User"]["Id"] == "agent-dave")
    # On contacts: both TASK slots taken.
    assert (dave["MaxSlotsByChannel"]["TASK"], dave["AvailableSlotsByChannel"]["TASK"]) == (2, 0)


# -- the banner


def test_banner_gives_what_a_user_needs_in_the_order_needed(serve: Serve) -> None:
    info, banner = serve.info, serve.banner
    milestones = [
        f"{info.api_url}/escalations",
        "agent token (alice",
        "$ export TOKEN='local-dev.",
        "supervisor token (carol",
        "$ export SUPERVISOR_TOKEN='local-dev.",
        f"SQS, SNS, DynamoDB, SSM (moto)  {info.aws_url}",
        f"EventBridge and Lambda          {info.bus_url}",
        f"DLQ                             {info.dlq_url}",
        "$ curl",
        "$ .venv/bin/python -m local.send_event events/",
        "$ .venv/bin/python -m tools.redrive",
        f"Handler log (JSON lines, written as requests happen): {info.handler_log}",
    ]
    positions = [banner.find(text) for text in milestones]
    assert -1 not in positions, [text for text, at in zip(milestones, positions, strict=True) if at < 0]
    assert positions == sorted(positions)
    assert re.search(r"valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC", banner)
    assert re.fullmatch(r"handler-serve-\d{8}-\d{6}\.log", Path(info.handler_log).name)


def test_port_in_use_is_one_clear_line(serve: Serve, tmp_path: Path) -> None:
    port = int(serve.info.api_url.rsplit(":", 1)[1])
    result = subprocess.run(
        [sys.executable, "-m", "local.serve", "--port", str(port), "--run-dir", str(tmp_path)],
        cwd=REPO_ROOT,
        env={**serve.env, "PYTHONPATH": f"{REPO_ROOT / 'lambdas'}{os.pathsep}{REPO_ROOT}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.strip() == ""
    assert result.stderr.strip().splitlines() == [
        f"make serve: port {port} is already in use (another make serve?); "
        f"choose another with: make serve PORT={port + 1}"
    ]


# -- every command it prints, run


def run_command(serve: Serve, command: str, exports: list[str]) -> str:
    if command.startswith("curl") and shutil.which("curl") is None:
        return replay_curl(command, serve.env, exports)
    script = "\n".join([*exports, command])
    result = subprocess.run(
        ["bash", "-euc", script], cwd=REPO_ROOT, env=serve.env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def replay_curl(command: str, env: dict[str, str], exports: list[str]) -> str:
    """Without a curl binary: the same request with urllib (the -H and -d arguments, $VARIABLEs expanded)."""
    variables = dict(env)
    for line in exports:
        for assignment in shlex.split(line.replace("\\\n", " "))[1:]:
            name, _, value = assignment.partition("=")
            variables[name] = value
    words = shlex.split(command.replace("\\\n", " "))
    url = next(word for word in words if word.startswith("http"))
    headers, data = {}, None
    for flag, value in itertools.pairwise(words):
        if flag == "-H":
            name, _, header_value = re.sub(r"\$(\w+)", lambda m: variables[m[1]], value).partition(": ")
            headers[name] = header_value
        elif flag == "-d":
            data = value.encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return str(response.read().decode())
    except urllib.error.HTTPError as error:
        return str(error.read().decode())


def test_every_banner_command_runs_and_does_what_it_says(serve: Serve) -> None:
    found = re.search(r"events/sla-breach.json --contact-id (\S+)", serve.banner)
    assert found is not None
    breach_email = found[1]

    def breach_transferred(_out: str) -> None:
        wait_for(lambda: any(e["contact_id"] == breach_email for e in serve.connect.ledger()), "the transfer")

    def foreign_instance_dead_lettered(_out: str) -> None:
        wait_for(lambda: "FOREIGN_INSTANCE" in dlq_listing(serve), "the DLQ record")

    # Each command of the banner, recognised by a fragment, and what it must have done.
    checks: list[tuple[str, Callable[[str], None]]] = [
        ("export TOKEN=", no_output),
        ("export SUPERVISOR_TOKEN=", no_output),
        ("export AWS_ACCESS_KEY_ID=", no_output),
        (f'Bearer $TOKEN"{CURL_BODY}{first_contact(serve, "TASK")}', transferred_to("queue-tier2")),
        (f'Bearer $SUPERVISOR_TOKEN"{CURL_BODY}{first_contact(serve, "EMAIL")}', transferred_to(TIER2)),
        (f'Bearer $SUPERVISOR_TOKEN"{CURL_BODY}{first_contact(serve, "CHAT")}', moved_up(priority=2)),
        (f'Bearer $TOKEN"{CURL_BODY}{first_contact(serve, "VOICE")}', refused("CONTACT_NOT_QUEUED")),
        ("/_emulator/route_next", routed_to_an_agent(serve)),
        ("/escalations/", read_back("TRANSFERRED")),
        ("/contacts/", chain_read_back(first_contact(serve, "TASK"))),
        ("local.send_event events/sla-breach.json", breach_transferred),
        ("local.send_event events/sla-breach-foreign-instance.json", foreign_instance_dead_lettered),
        ("tools.redrive --dry-run", prints("FOREIGN_INSTANCE")),
        ("tools.redrive \\\n", prints("FOREIGN_INSTANCE")),
        ("make metrics", prints("EscalationTransferred")),
        ("make seed", prints("Added 10 contacts")),
        ("/effective-hours-of-operations/", business_week),
    ]
    commands = banner_commands(serve.banner)
    exports = [command for command in commands if command.startswith("export ")]
    for command in commands:
        matching = [check for fragment, check in checks if fragment in command + "\n"]
        assert len(matching) == 1, f"no single check for the banner's command:\n{command}"
        matching[0](run_command(serve, command, exports))
    assert len(commands) == len(checks)
    log = Path(serve.info.handler_log).read_text()
    # Read while the process runs: the answered call's refusal is already in the log.
    assert '"refusal":"CONTACT_NOT_QUEUED"' in log


TIER2 = "queue-tier2"
CURL_BODY = " -H 'Content-Type: application/json' \\\n-d '{\"contactId\": \""


def dlq_listing(serve: Serve) -> str:
    """What a redrive dry run says about the DLQ now."""
    info = serve.info
    env = {
        **serve.env,
        "AWS_ENDPOINT_URL_SQS": info.aws_url,
        "AWS_ENDPOINT_URL_KMS": info.aws_url,
        "AWS_ENDPOINT_URL_LAMBDA": info.bus_url,
    }
    result = subprocess.run(
        [sys.executable, "-m", "tools.redrive", "--queue-url", serve.info.dlq_url,
         "--function-name", serve.info.function_name, "--mac-key-id", info.mac_key_id, "--dry-run"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return result.stdout


def business_week(out: str) -> None:
    """Seven dates of the seeded business hours: 09:00-17:00 on weekdays, closed at weekends."""
    answer = json.loads(out)
    assert answer["TimeZone"] == "America/New_York", answer
    days = answer["EffectiveHoursOfOperationList"]
    assert len(days) == 7, answer
    nine_to_five = [{"Start": {"Hours": 9, "Minutes": 0}, "End": {"Hours": 17, "Minutes": 0}}]
    for day in days:
        weekday = date.fromisoformat(day["Date"]).weekday()
        assert day["OperationalHours"] == (nine_to_five if weekday < 5 else []), day


def first_contact(serve: Serve, channel: str) -> str:
    return next(contact_id for contact_id, ch, *_ in banner_contacts(serve.banner) if ch == channel)


def read_back(status: str) -> Callable[[str], None]:
    def check(out: str) -> None:
        assert json.loads(out)["status"] == status, out

    return check


def chain_read_back(contact_id: str) -> Callable[[str], None]:
    def check(out: str) -> None:
        answer = json.loads(out)
        assert answer["chainId"] == contact_id, answer
        assert [entry["status"] for entry in answer["escalations"]] == ["TRANSFERRED"], answer

    return check


def no_output(out: str) -> None:
    assert out == ""


def transferred_to(queue_id: str) -> Callable[[str], None]:
    def check(out: str) -> None:
        answer = json.loads(out)
        assert answer["status"] == "TRANSFERRED", answer
        assert answer["target"] == {"type": "QUEUE", "id": queue_id}

    return check


def moved_up(*, priority: int) -> Callable[[str], None]:
    def check(out: str) -> None:
        answer = json.loads(out)
        assert answer["status"] == "PRIORITIZED", answer
        assert answer["target"] == {"type": "IN_QUEUE", "priority": priority}
        assert answer["newContactId"] is None

    return check


def routed_to_an_agent(serve: Serve) -> Callable[[str], None]:
    def check(out: str) -> None:
        routed = json.loads(out)["result"]
        assert routed in {contact_id for contact_id, *_ in banner_contacts(serve.banner)}, out
        contact = serve.connect.get_contact(ContactRef(INSTANCE_ID, routed))
        assert contact["agent_id"] is not None
        assert contact["connected_to_agent_timestamp"] is not None

    return check


def refused(code: str) -> Callable[[str], None]:
    def check(out: str) -> None:
        assert json.loads(out)["error"] == code

    return check


def prints(text: str) -> Callable[[str], None]:
    def check(out: str) -> None:
        assert text in out, out

    return check


def test_serve_runs_sla_timers_and_names_the_scheduler(serve: Serve) -> None:
    # The sample contact event armed nothing under `make serve` ("SLA timers are off"): now it arms.
    assert "EventBridge Scheduler (moto)" in serve.banner
    assert f"{serve.info.aws_url}   (SLA timers on, policy sample-tier1-1h)" in serve.banner
    queued_task = next(
        contact_id
        for contact_id, channel, queue, *_ in banner_contacts(serve.banner)
        if channel == "TASK" and queue == "queue-tier1"
    )
    command = (
        ".venv/bin/python -m local.send_event events/contact-event-queued.json"
        f" --invoke --contact-id {queued_task}"
    )
    out = run_command(serve, command, [])
    assert json.loads(out)["status"] == "ARMED", out


def test_banner_gives_the_escalate_apps_urls_and_the_app_calls_this_api(serve: Serve) -> None:
    app = re.search(r"alice's task:\s+(http://\S+/desktop/)\?contactId=\S+", serve.banner)
    workspace = re.search(r"in Agent Workspace:\s+(http://\S+/workspace/)\?contactId=\S+", serve.banner)
    assert app, serve.banner
    assert workspace, serve.banner
    with urllib.request.urlopen(app[1] + "config.json", timeout=10) as response:
        config = json.loads(response.read())
    assert config["apiUrl"] == serve.info.api_url
    with urllib.request.urlopen(workspace[1], timeout=10) as response:
        page = response.read()
    assert b"<title>Agent Workspace (local stand-in)</title>" in page
    assert b'src="app.js"' in page
