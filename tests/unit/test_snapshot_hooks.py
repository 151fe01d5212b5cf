"""SnapStart's runtime hooks, with a stand-in for Lambda's `snapshot_restore_py` and restores simulated by
putting the snapshot's state back (the generators' states, pooled connections) before each copy's hooks:
what the snapshot holds, and what each restored copy renews."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from escalation import snapshot_hooks
from escalation.contract import EnvVar
from tests.unit.builders import REGION

REPO_ROOT = Path(__file__).resolve().parents[2]
STAND_IN = Path(__file__).resolve().parent / "snapstart_runtime"
# In a fresh interpreter: import the handler (it registers the hooks), take the snapshot, then restore two
# copies from it, one after the other, each from the snapshot's state.
PROBE = """
import json, random, sys
import aws_xray_sdk.core  # as deployed: tracing active, so the X-Ray SDK is loaded at init
import botocore.retries.standard
import snapshot_restore_py as runtime
from escalation import composition
import escalation.handler

runtime.take_snapshot()
clients = composition.built_clients()
sampler = aws_xray_sdk.core.xray_recorder.sampler
from escalation.domain.timer_events import SlaBreachDetail
snapshot = {
    "hooks": [len(runtime.before_snapshot), len(runtime.after_restore)],
    "clients": sorted(client.meta.service_model.service_name for client in clients),
    "modules": sorted(m for m in sys.modules if m.startswith("escalation.triggers.")),
    "breach_model_built": bool(SlaBreachDetail.__pydantic_complete__),
}
# What the snapshot's memory holds (os.fork would re-seed `random` in the child, a restore does not).
saved = (random.getstate(), sampler._random.getstate())


def restored_memory():
    random.setstate(saved[0])
    sampler._random.setstate(saved[1])
    for client in clients:  # a pooled connection per client, as if init had made a call (no network)
        client._endpoint.http_session._manager.connection_from_url(client.meta.endpoint_url)


copies = []
for _ in range(2):
    restored_memory()
    if sys.argv[1] == "restore":
        runtime.restore()
    copies.append(
        {
            "random": random.random(),
            "retry_jitter": botocore.retries.standard.ExponentialBackoff()._random(),
            "xray_sampler": sampler._random.random(),
            "pooled": sum(len(c._endpoint.http_session._manager.pools) for c in clients),
        }
    )
print(json.dumps({"snapshot": snapshot, "copies": copies}))
"""


def _probe(handler_env: dict[str, str], tmp_path: Path, mode: str) -> dict[str, Any]:
    rules = json.loads((REPO_ROOT / "lambdas" / "escalation" / "routing_rules.json").read_text())
    rules["sla"] = [{"name": "tasks-1h", "match": {"channels": ["TASK"]}, "seconds": 3600}]
    (tmp_path / "rules.json").write_text(json.dumps(rules))
    env = {
        **os.environ,
        **handler_env,
        EnvVar.ROUTING_RULES: str(tmp_path / "rules.json"),
        EnvVar.SLA_TIMERS_ENABLED: "true",
        EnvVar.SLA_SCHEDULE_GROUP: "escalation-sla",
        EnvVar.SLA_TIMER_TARGET_ARN: f"arn:aws:lambda:{REGION}:123456789012:function:escalation:live",
        EnvVar.SLA_SCHEDULER_ROLE_ARN: "arn:aws:iam::123456789012:role/sla-scheduler",
        EnvVar.SLA_SCHEDULE_DLQ_ARN: f"arn:aws:sqs:{REGION}:123456789012:sla-schedule-dlq",
        "PYTHONPATH": os.pathsep.join([str(STAND_IN), str(REPO_ROOT / "lambdas"), str(REPO_ROOT)]),
    }
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, mode], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


_PROBED: dict[str, dict[str, Any]] = {}  # each probe runs once per session (a fresh interpreter each)


@pytest.fixture
def probes(handler_env: dict[str, str], tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Copies restored with the hooks, and copies without them (what SnapStart would share if the hooks
    did nothing)."""
    for mode in ("restore", "no-restore"):
        if mode not in _PROBED:
            _PROBED[mode] = _probe(handler_env, tmp_path, mode)
    return _PROBED


def test_the_snapshot_holds_every_client_trigger_and_model(probes: dict[str, dict[str, Any]]) -> None:
    snapshot = probes["restore"]["snapshot"]
    assert snapshot["hooks"] == [1, 1]
    assert snapshot["clients"] == ["connect", "dynamodb", "events", "kms", "scheduler"]
    assert set(snapshot_hooks.TRIGGER_MODULES) <= set(snapshot["modules"])
    assert snapshot["breach_model_built"]


def test_without_the_restore_hook_restored_copies_share_their_random_state_and_sockets(
    probes: dict[str, dict[str, Any]],
) -> None:
    first, second = probes["no-restore"]["copies"]
    for source in ("random", "retry_jitter", "xray_sampler"):
        assert first[source] == second[source], source  # the hazard the hook is for
    assert first["pooled"] == second["pooled"] == 5


def test_each_restored_copy_draws_its_own_random_numbers_and_opens_its_own_connections(
    probes: dict[str, dict[str, Any]],
) -> None:
    first, second = probes["restore"]["copies"]
    # Python's random (Powertools' log sampling), botocore's retry jitter, the X-Ray SDK's sampler.
    for source in ("random", "retry_jitter", "xray_sampler"):
        assert first[source] != second[source], source
    assert first["pooled"] == second["pooled"] == 0


def test_outside_lambdas_managed_runtime_no_hook_is_registered() -> None:
    assert "snapshot_restore_py" not in sys.modules
    assert snapshot_hooks.register() is False
