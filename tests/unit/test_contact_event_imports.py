"""The busiest trigger loads only what it needs: a contact event never imports the API or the breach path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from escalation.contract import EnvVar
from tests.unit.builders import INSTANCE_ARN, REGION, contact_event

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_RULES = REPO_ROOT / "lambdas" / "escalation" / "routing_rules.json"
# Run in a fresh interpreter: the handler on one QUEUED event, its Scheduler client answered by botocore's
# Stubber (no network), then the modules it loaded.
PROBE = """
import json, sys
from botocore.stub import Stubber
from escalation import composition
from escalation.handler import handler
from tests.unit.fakes import FakeLambdaContext

clients = composition.aws_clients()
composition.aws_clients = lambda session=None: clients
with Stubber(clients.scheduler()) as stub:
    stub.add_response("create_schedule", {"ScheduleArn": "arn:aws:scheduler:::schedule/g/s"})
    answer = handler(json.loads(sys.argv[1]), FakeLambdaContext())
    stub.assert_no_pending_responses()
print(json.dumps({"answer": answer, "modules": sorted(sys.modules)}))
"""
API_AND_BREACH_MODULES = (
    "escalation.triggers.api",
    "escalation.triggers.api_models",
    "escalation.triggers.api_guard",
    "escalation.triggers.api_options_models",
    "escalation.triggers.api_ledger_models",
    "escalation.triggers.sla_event",
    "escalation.triggers.redrive_event",
)


def test_a_contact_event_loads_neither_the_api_models_nor_the_rest_resolver(
    handler_env: dict[str, str], tmp_path: Path
) -> None:
    rules = json.loads(SHIPPED_RULES.read_text())
    rules["sla"] = [{"name": "tasks-1h", "match": {"channels": ["TASK"]}, "seconds": 3600}]
    rules_file = tmp_path / "rules.json"
    rules_file.write_text(json.dumps(rules))
    env = {
        **os.environ,
        **handler_env,
        EnvVar.ROUTING_RULES: str(rules_file),
        EnvVar.SLA_TIMERS_ENABLED: "true",
        EnvVar.SLA_SCHEDULE_GROUP: "escalation-sla",
        EnvVar.SLA_TIMER_TARGET_ARN: f"arn:aws:lambda:{REGION}:123456789012:function:escalation",
        EnvVar.SLA_SCHEDULER_ROLE_ARN: "arn:aws:iam::123456789012:role/sla-scheduler",
        EnvVar.SLA_SCHEDULE_DLQ_ARN: f"arn:aws:sqs:{REGION}:123456789012:sla-schedule-dlq",
        "PYTHONPATH": f"{REPO_ROOT / 'lambdas'}{os.pathsep}{REPO_ROOT}",
    }
    event = contact_event("QUEUED", enqueued_at=datetime.now(UTC))
    assert event["detail"]["instanceArn"] == INSTANCE_ARN
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(event)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    probe = json.loads(completed.stdout.strip().splitlines()[-1])
    assert probe["answer"]["status"] == "ARMED"  # the event went the whole way, a schedule created
    modules = set(probe["modules"])
    assert "escalation.triggers.contact_event" in modules
    assert not modules & set(API_AND_BREACH_MODULES)
    assert not [name for name in modules if name.startswith("aws_lambda_powertools.event_handler")]
