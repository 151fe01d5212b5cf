"""Fixtures for the unit tests: no network, a clean process per test, moto in-process, Connect stubbed.

Every unit test runs with sockets blocked (pytest-socket). Handler tests get moto's in-process AWS
(`mock_aws`: SQS, SNS, DynamoDB, no server) and a Connect client of their own with a botocore Stubber
on it, handed to the composition root, so a Connect call that a test did not queue fails loudly
instead of reaching anything.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from escalation import composition, observability
from escalation.adapters import connect
from escalation.contract import EnvVar
from local.aws_isolation import ISOLATION_UNSET, isolated_aws_variables
from tests.unit.builders import CLIENT_ID, INSTANCE_ARN, INSTANCE_ID, REGION
from tests.unit.fakes import FakeLambdaContext
from tests.unit.harness import (
    DLQ_NAME,
    EVENT_BUS,
    IDEMPOTENCY_TABLE,
    LEDGER_TABLE,
    MAC_KEY_ALIAS,
    TOPIC_NAME,
    AwsWorld,
    ConnectStub,
)

SHIPPED_RULES = Path(composition.__file__).parent / "routing_rules.json"


@pytest.fixture(autouse=True)
def _no_network(socket_disabled: None) -> None:
    """Unit tests never open a socket: moto runs in-process and Connect is stubbed."""


@pytest.fixture(autouse=True)
def _fresh_process() -> Iterator[None]:
    """Forget every per-process cache (settings, clients, rules, components) around each test."""

    def forget() -> None:
        composition.reset()
        observability.metrics.clear_metrics()

    forget()
    yield
    forget()


@pytest.fixture(scope="session")
def aws_session() -> boto3.session.Session:
    """One session for the whole run, as the handler builds it: service models load once, not per test."""
    return composition.aws_session()


@pytest.fixture
def handler_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """The environment the deployed Lambda gets, with dummy credentials and one Connect attempt."""
    for name in (*ISOLATION_UNSET, EnvVar.ROUTING_RULES, EnvVar.DESKTOP_ORIGIN):
        monkeypatch.delenv(name, raising=False)
    env = {
        **isolated_aws_variables(tmp_path),
        EnvVar.CONNECT_INSTANCE_ID: INSTANCE_ID,
        EnvVar.CONNECT_INSTANCE_ARN: INSTANCE_ARN,
        EnvVar.DEAD_LETTER_MAC_KEY_ID: MAC_KEY_ALIAS,
        EnvVar.DLQ_URL: f"https://sqs.{REGION}.amazonaws.com/123456789012/{DLQ_NAME}",
        EnvVar.ALERT_TOPIC_ARN: f"arn:aws:sns:{REGION}:123456789012:{TOPIC_NAME}",
        EnvVar.IDEMPOTENCY_TABLE: IDEMPOTENCY_TABLE,
        EnvVar.LEDGER_TABLE: LEDGER_TABLE,
        EnvVar.EVENT_BUS_NAME: EVENT_BUS,
        EnvVar.CALLER_CLIENT_IDS: CLIENT_ID,
        EnvVar.CONNECT_MAX_ATTEMPTS: "1",
        "POWERTOOLS_SERVICE_NAME": "escalation",
        "POWERTOOLS_METRICS_NAMESPACE": "ConnectEscalation",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def rules_without_catalogue(
    handler_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Path:
    """The shipped routing rules without their reasons catalogue: the API takes any reason, as before one."""
    document = json.loads(SHIPPED_RULES.read_text())
    document.pop("reasons")
    path = tmp_path / "rules-without-catalogue.json"
    path.write_text(json.dumps(document))
    monkeypatch.setenv(EnvVar.ROUTING_RULES, str(path))
    return path


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def aws(handler_env: dict[str, str]) -> Iterator[AwsWorld]:
    # Keeping boto3's default session across tests keeps its loaded service models (a few seconds per run).
    with mock_aws(config={"core": {"reset_boto3_session": False}}):
        world = AwsWorld()
        assert world.dlq_url.endswith(DLQ_NAME)
        assert world.topic_arn == handler_env["ALERT_TOPIC_ARN"]
        yield world


@pytest.fixture
def connect_stub(handler_env: dict[str, str], aws_session: boto3.session.Session) -> Iterator[ConnectStub]:
    """A Connect client of the test's own (configured as the adapter's), with a Stubber on it."""
    stub = ConnectStub(aws_session.client("connect", config=connect.client_config(1)))
    with stub.stubber:
        yield stub
        # Every queued answer was asked for: a test cannot pass with a Connect call it expected missing.
        stub.assert_all_used()


@pytest.fixture
def handler_clients(
    aws: AwsWorld,
    connect_stub: ConnectStub,
    aws_session: boto3.session.Session,
    monkeypatch: pytest.MonkeyPatch,
) -> composition.AwsClients:
    """The clients the composition root builds the handler with: moto's, and the stubbed Connect."""
    clients = replace(composition.aws_clients(aws_session), connect=connect_stub.clients)
    monkeypatch.setattr(composition, "aws_clients", lambda: clients)
    return clients


@pytest.fixture
def invoke(
    handler_clients: composition.AwsClients, lambda_context: FakeLambdaContext
) -> Callable[[Any], Any]:
    """Calls the real Lambda entry point (imported after the environment is set)."""
    # Imported here, not at the top: the module validates its settings at import, as on a cold start.
    handler = importlib.import_module("escalation.handler").handler

    def call(event: Any) -> Any:
        return handler(event, lambda_context)

    return call
