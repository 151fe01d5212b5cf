"""`make serve`: the local stack, kept running for curl and the agent's Escalate app. Ctrl-C stops it.

    python -m local.serve [--port N]      # make serve PORT=N

Seeds a contact centre (`local.seed`), then prints a banner with everything needed to use it, in the
order it is needed; each line starting with `$ ` is a command to paste, run from the repository root.
While it runs, `.local-run/serve.json` says where it is (for `make seed`, `make metrics`,
`local.send_event`) and `.local-run/metrics.json` holds its metrics.
"""

from __future__ import annotations

import argparse
import errno
import os
import random
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

from escalation.contract import EnvVar
from escalation.domain.identity import escalation_id
from local.connect_emulator.admin import ADMIN_PREFIX
from local.desktop import DesktopBuildError, DesktopOptions, DesktopServer, build_desktop
from local.dev_tokens import make_dev_token
from local.metrics import MetricsWriter
from local.run_info import DEFAULT_RUN_DIR, RUN_INFO_FILE, RunInfo, run_log_path
from local.seed import CONTACT_HEADER, ServeContacts, describe, seed_serve
from local.sla_wiring import rules_with_sla
from local.stack import (
    BUSINESS_HOURS_ID,
    BUSINESS_HOURS_QUEUE,
    BUSINESS_HOURS_TIME_ZONE,
    INSTANCE_ID,
    ROUTING_RULES_FILE,
    LocalStack,
    StackOptions,
)

DEFAULT_API_PORT = 3000
TOKEN_LIFETIME = timedelta(hours=8)  # a working day
SEED = 7  # the same contact centre on every run (contact ids differ: the emulator makes them)
LOCAL_REGION = "us-east-1"


@dataclass(frozen=True)
class DevToken:
    label: str
    who: str
    token: str
    expires: datetime


def dev_tokens(now: datetime) -> tuple[DevToken, DevToken]:
    """The agent's token (alice) and a supervisor's (carol), LOCAL-ONLY, valid for TOKEN_LIFETIME."""
    seconds = int(TOKEN_LIFETIME.total_seconds())
    expires = now + TOKEN_LIFETIME
    return (
        DevToken(
            "agent token", "alice, Connect user agent-alice, group agents",
            make_dev_token("agent-alice", ["agents"], "alice", expires_in=seconds), expires,
        ),
        DevToken(
            "supervisor token", "carol, Connect user agent-carol, group supervisors",
            make_dev_token("agent-carol", ["supervisors"], "carol", expires_in=seconds), expires,
        ),
    )  # fmt: skip


def _curl(api_url: str, token_variable: str, contact_id: str, reason: str) -> str:
    return (
        f"  $ curl -s -w '\\n' -X POST {api_url}/escalations \\\n"
        f"    -H \"Authorization: Bearer ${token_variable}\" -H 'Content-Type: application/json' \\\n"
        f'    -d \'{{"contactId": "{contact_id}", "reason": "{reason}"}}\''
    )


# The sample SLA policy `make serve` runs with: Tier 1 tasks and emails, an hour, a warning at 80 %.
SAMPLE_SLA_POLICY = {
    "name": "sample-tier1-1h",
    "match": {"queues": ["queue-tier1"], "channels": ["TASK", "EMAIL"]},
    "seconds": 3600,
    "warnAtPercent": 80,
}


def serve_options(port: int, run_dir: Path, log_path: Path) -> StackOptions:
    """The stack `make serve` runs: SLA timers on, the bundled rules plus SAMPLE_SLA_POLICY."""
    rules = rules_with_sla(ROUTING_RULES_FILE, [SAMPLE_SLA_POLICY], run_dir / "routing_rules_serve.json")
    return StackOptions(
        api_port=port, handler_log=log_path, sla_timers=True, extra_env={EnvVar.ROUTING_RULES: str(rules)}
    )


def _route_next_curl(connect_url: str) -> str:
    fields = f'{{"instance_id": "{INSTANCE_ID}", "queue_id": "queue-tier1"}}'
    return (
        f"  $ curl -s -w '\\n' -X POST {connect_url}{ADMIN_PREFIX}route_next \\\n"
        f"    -H 'Content-Type: application/json' -d '{fields}'"
    )


def _effective_hours_curl(connect_url: str) -> str:
    today = datetime.now(UTC).date()
    query = f"fromDate={today.isoformat()}&toDate={(today + timedelta(days=6)).isoformat()}"
    path = f"/effective-hours-of-operations/{INSTANCE_ID}/{BUSINESS_HOURS_ID}"
    return f"  $ curl -s -w '\\n' '{connect_url}{path}?{query}'"


def banner(
    stack: LocalStack,
    contacts: ServeContacts,
    tokens: Sequence[DevToken],
    log_path: Path,
    desktop: DesktopServer,
) -> str:
    agent, supervisor = tokens
    aws_url, bus_url, api_url = stack.aws.endpoint_url, stack.bus.endpoint_url, stack.api.url
    expiry = agent.expires.strftime("%Y-%m-%d %H:%M UTC")
    contact_lines = "\n".join(f"  {line}" for line in describe(contacts.all))
    # The id the API gives alice's click below (no Idempotency-Key: contact and reason decide it).
    alice_escalation = escalation_id(
        stack.aws.escalation_id_secret(), INSTANCE_ID, contacts.alice_task, "CUSTOMER_UNHAPPY"
    )
    log = log_path.relative_to(Path.cwd()) if log_path.is_relative_to(Path.cwd()) else log_path
    return f"""
The escalation service is running locally: emulated Connect and AWS on 127.0.0.1, nothing talks to AWS.
Paste the `$` commands into another terminal, from the repository root.

1. The API
  POST {api_url}/escalations   (OpenAPI document: {api_url}/openapi.json)

2. Tokens: LOCAL-ONLY dev tokens, both valid until {expiry}
  {agent.label} ({agent.who}):
  $ export TOKEN='{agent.token}'
  {supervisor.label} ({supervisor.who}):
  $ export SUPERVISOR_TOKEN='{supervisor.token}'

3. Local endpoints (any AWS SDK or CLI; dummy credentials, region {LOCAL_REGION})
  SQS, SNS, DynamoDB, SSM (moto)  {aws_url}
  EventBridge and Lambda          {bus_url}   (function name: {stack.bus.function.function_name})
  Connect (emulator)              {stack.connect.endpoint_url}   (admin API under /_emulator/)
  EventBridge Scheduler (moto)    {aws_url}   (SLA timers on, policy {SAMPLE_SLA_POLICY["name"]})
  DLQ                             {stack.aws.dlq_url}
  KMS (moto)                      {aws_url}   (the DLQ records' HMAC key: {stack.aws.mac_key_id})
  Alert topic                     {stack.aws.alert_topic_arn}
  Idempotency table               {stack.aws.idempotency_table}
  Point this terminal's AWS clients at them (needed by the redrive below):
  $ export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={LOCAL_REGION} \\
      AWS_ENDPOINT_URL_SQS={aws_url} AWS_ENDPOINT_URL_SNS={aws_url} \\
      AWS_ENDPOINT_URL_DYNAMODB={aws_url} AWS_ENDPOINT_URL_KMS={aws_url} \\
      AWS_ENDPOINT_URL_EVENTBRIDGE={bus_url} AWS_ENDPOINT_URL_LAMBDA={bus_url}

4. The contact centre (instance {INSTANCE_ID}): queues Tier 1, Tier 2, Billing, Supervisors; agents
   alice and bob (Available), dave (Available, both TASK slots taken), erin and the account manager
   (Offline); {len(contacts.all)} contacts:
  {CONTACT_HEADER}
{contact_lines}
   Business hours: queue {BUSINESS_HOURS_QUEUE} (Email, New York) runs on hours of operation
   {BUSINESS_HOURS_ID}, Monday-Friday 09:00-17:00 {BUSINESS_HOURS_TIME_ZONE}, for SLA policies with
   "clock": "business" (docs/sla-timers.md). Its coming week, as GetEffectiveHoursOfOperations gives it:
{_effective_hours_curl(stack.connect.endpoint_url)}

5. Escalate
  alice escalates her task (the agent token, $TOKEN):
{_curl(api_url, "TOKEN", contacts.alice_task, "CUSTOMER_UNHAPPY")}
  a supervisor escalates an email waiting in Tier 1:
{_curl(api_url, "SUPERVISOR_TOKEN", contacts.waiting_email, "BILLING_DISPUTE")}
  a supervisor moves a chat waiting in Billing up in its queue (200 PRIORITIZED, queue priority 2):
{_curl(api_url, "SUPERVISOR_TOKEN", contacts.waiting_chat, "CUSTOMER_UNHAPPY")}
  alice's voice call is answered, so it no longer waits and cannot be moved up (409 CONTACT_NOT_QUEUED):
{_curl(api_url, "TOKEN", contacts.answered_voice, "CUSTOMER_UNHAPPY")}
  Tier 1 hands its next waiting contact to a free agent, in Connect's order (priority, then age):
{_route_next_curl(stack.connect.endpoint_url)}

   read the escalation ledger: alice's escalation (she requested it), then the chain of her task (as a
   supervisor; the answer lists every escalation of the chain, oldest first):
  $ curl -s -w '\\n' {api_url}/escalations/{alice_escalation} -H "Authorization: Bearer $TOKEN"
  $ curl -s -w '\\n' {api_url}/contacts/{contacts.alice_task}/escalations \\
      -H "Authorization: Bearer $SUPERVISOR_TOKEN"

6. Send sample events (events/README.md): an SLA breach for the Billing email, then one for another
   instance, which is dead-lettered:
  $ .venv/bin/python -m local.send_event events/sla-breach.json --contact-id {contacts.breach_email}
  $ .venv/bin/python -m local.send_event events/sla-breach-foreign-instance.json

7. The DLQ and its redrive (after the exports of step 3): list it, then redrive what a redrive can fix
   (each record's MAC is verified with the key first; a forged or unsigned record is refused and kept)
  $ .venv/bin/python -m tools.redrive --dry-run \\
      --queue-url {stack.aws.dlq_url} --function-name {stack.bus.function.function_name} \\
      --mac-key-id {stack.aws.mac_key_id}
  $ .venv/bin/python -m tools.redrive \\
      --queue-url {stack.aws.dlq_url} --function-name {stack.bus.function.function_name} \\
      --mac-key-id {stack.aws.mac_key_id}

8. More
  $ make metrics      # the metrics so far, as CloudWatch would count them
  $ make seed         # 10 more contacts (make seed COUNT=N)
  Handler log (JSON lines, written as requests happen): {log}   (tail -f it)

9. The agent's Escalate app, in a browser (sign in as any seeded agent or supervisor: LOCAL-ONLY sign-in)
  alice's task:         {desktop.app_url}?contactId={contacts.alice_task}
  any contact:          {desktop.app_url}
  in Agent Workspace:   {desktop.workspace_url}?contactId={contacts.alice_task}
                        (a local stand-in that hands the app its contact through the Connect SDK)

Ctrl-C stops everything."""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_API_PORT, help="the API's port (0: any free one)")
    parser.add_argument(
        "--desktop-port",
        type=int,
        default=None,
        help="the Escalate app's port (default: the API's + 1; 0: any)",
    )
    parser.add_argument("--run-dir", type=Path, default=DEFAULT_RUN_DIR, help="where logs and run files go")
    return parser.parse_args(argv)


def _desktop_port(args: argparse.Namespace) -> int:
    """The app's port: as given, else the API's + 1; a free one when the API's is chosen freely (0)."""
    if args.desktop_port:
        return int(args.desktop_port)
    if args.port and args.desktop_port is None:
        return int(args.port) + 1
    with socket.socket() as probe:  # the API needs the app's origin before the app's server starts
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_in_use(port: int, variable: str, whose: str) -> int:
    print(
        f"make serve: port {port} is already in use {whose}; "
        f"choose another with: make serve {variable}={port + 1}",
        file=sys.stderr,
    )
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001 - signal signature
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    now = datetime.now(UTC)
    run_dir: Path = args.run_dir.resolve()
    log_path = run_log_path(run_dir, now, "serve")
    try:
        build_desktop()
    except DesktopBuildError as error:
        print(f"make serve: the Escalate app did not build: {error}", file=sys.stderr)
        return 1
    desktop_options = DesktopOptions(port=_desktop_port(args))
    # The app calls the API from its own origin, as from CloudFront: the API allows it (CORS).
    origin = f"http://{desktop_options.host}:{desktop_options.port}"
    options = serve_options(args.port, run_dir, log_path)
    options = replace(options, extra_env={**options.extra_env, EnvVar.DESKTOP_ORIGIN: origin})
    stack = LocalStack(options)
    try:
        stack.start()
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        return _port_in_use(args.port, "PORT", "(another make serve?)")
    try:
        desktop = DesktopServer(desktop_options).start()
    except OSError as error:
        stack.stop()
        if error.errno != errno.EADDRINUSE:
            raise
        return _port_in_use(desktop_options.port, "DESKTOP_PORT", "(the Escalate app's)")
    desktop.api_url = stack.api.url
    try:
        contacts = seed_serve(stack.connect, random.Random(SEED))
        tokens = dev_tokens(now)
        RunInfo(
            pid=os.getpid(),
            api_url=stack.api.url,
            connect_url=stack.connect.endpoint_url,
            aws_url=stack.aws.endpoint_url,
            bus_url=stack.bus.endpoint_url,
            function_name=stack.bus.function.function_name,
            dlq_url=stack.aws.dlq_url,
            handler_log=str(log_path),
            mac_key_id=stack.aws.mac_key_id,
        ).save(run_dir)
        assert stack.output is not None, "make serve captures the handler's output"
        metrics = MetricsWriter(stack.output, run_dir).start()
        try:
            print(banner(stack, contacts, tokens, log_path, desktop), flush=True)
            stop.wait()
            print("\nStopping...", flush=True)
        finally:
            metrics.stop()
            (run_dir / RUN_INFO_FILE).unlink(missing_ok=True)
    finally:
        stack.stop()
        desktop.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
