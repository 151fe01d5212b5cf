"""The cold start: the collector paused during init only; only the trigger and clients in use built."""

from __future__ import annotations

import gc
import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from escalation import composition
from escalation.config import ConfigurationError
from tests.unit.fakes import FakeLambdaContext

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def collector_restored() -> Iterator[None]:
    """Whatever a failing test leaves, the collector is on and nothing stays frozen for the next test."""
    yield
    gc.unfreeze()
    gc.enable()


@pytest.mark.usefixtures("collector_restored")
def test_the_collector_is_paused_through_init_and_on_after_the_first_answer(
    handler_clients: composition.AwsClients,  # moto and the stubbed Connect in place
    lambda_context: FakeLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "escalation.handler", raising=False)
    handler = importlib.import_module("escalation.handler").handler
    assert not gc.isenabled()

    answer = handler(["not", "an", "event"], lambda_context)  # dead-lettered as invalid, no Connect call

    assert answer["status"] == "REFUSED"
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0  # what init built is frozen, not scanned by later collections


@pytest.mark.usefixtures("collector_restored")
def test_a_failed_cold_start_leaves_the_collector_on(
    handler_env: dict[str, str],  # the environment, then one variable taken away
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("IDEMPOTENCY_TABLE")
    monkeypatch.delitem(sys.modules, "escalation.handler", raising=False)
    with pytest.raises(ConfigurationError):
        importlib.import_module("escalation.handler")
    assert gc.isenabled()


def test_init_loads_neither_trigger_nor_the_parameters_utility(handler_env: dict[str, str]) -> None:
    # A fresh interpreter: this one has imported everything already.
    probe = (
        "import sys, escalation.handler; "
        "print(sorted(m for m in sys.modules if m.startswith(('escalation.triggers.', "
        "'aws_lambda_powertools.utilities.parameters'))))"
    )
    env = {**os.environ, **handler_env, "PYTHONPATH": f"{REPO_ROOT / 'lambdas'}{os.pathsep}{REPO_ROOT}"}
    completed = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.strip() == "[]"


def test_the_dead_letter_and_alert_clients_are_built_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    built: list[str] = []
    build = session.client

    def counting_client(name: str, **kwargs: Any) -> Any:
        built.append(name)
        return build(name, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(session, "client", counting_client)
    clients = composition.aws_clients(session)
    # The ledger's and the escalation events' clients serve every escalation; Connect's are built per
    # attempt budget, on first use.
    assert built == ["dynamodb", "events"]
    assert clients.sqs() is clients.sqs()
    assert clients.sns() is clients.sns()
    assert built == ["dynamodb", "events", "sqs", "sns"]
