"""Fixtures for the unit tests: no network, a clean process per test, moto in-process, Connect stubbed.

Every unit test runs with sockets blocked (pytest-socket). Handler tests get moto's in-process AWS
(`mock_aws`: SQS, SNS, DynamoDB, no server) and a botocore Stubber on the very Connect client the
adapter uses, so a Connect call that a test did not queue fails loudly instead of reaching anything.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from moto import mock_aws

from escalation import composition, observability
from escalation.adapters import (
    connect,
)
from tests.unit.builders import INSTANCE_ID, REGION
from tests.unit.harness import (
    DLQ_NAME,
    IDEMPOTENCY_TABLE,
    TOPIC_NAME,
    AwsWorld,
    ConnectStub,
    FakeLambdaContext,
)


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


@pytest.fixture
def handler_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """The environment the deployed Lambda gets, with dummy credentials and one Connect attempt."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "ROUTING_RULES"):
        monkeypatch.delenv(name, raising=False)
    for service in ("CONNECT", "SQS", "SNS", "DYNAMODB", "SSM"):
        monkeypatch.delenv(f"AWS_ENDPOINT_URL_{service}", raising=False)
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "CONNECT_INSTANCE_ID": INSTANCE_ID,
        "DLQ_URL": f"https://sqs.{REGION}.amazonaws.com/123456789012/{DLQ_NAME}",
        "ALERT_TOPIC_ARN": f"arn:aws:sns:{REGION}:123456789012:{TOPIC_NAME}",
        "IDEMPOTENCY_TABLE": IDEMPOTENCY_TABLE,
        "CONNECT_MAX_ATTEMPTS": "1",
        "POWERTOOLS_SERVICE_NAME": "escalation",
        "POWERTOOLS_METRICS_NAMESPACE": "ConnectEscalation",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


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
def connect_stub(handler_env: dict[str, str]) -> Iterator[ConnectStub]:
    """A Stubber on `_client(1)`: with CONNECT_MAX_ATTEMPTS=1 that is the client the adapter calls."""
    with Stubber(connect._client(1)) as stubber:
        stub = ConnectStub(stubber)
        yield stub
        # Every queued answer was asked for: a test cannot pass with a Connect call it expected missing.
        stub.assert_all_used()


@pytest.fixture
def invoke(
    aws: AwsWorld, connect_stub: ConnectStub, lambda_context: FakeLambdaContext
) -> Callable[[Any], Any]:
    """Calls the real Lambda entry point (imported after the environment is set)."""
    # Imported here, not at the top: the module validates its settings at import, as on a cold start.
    handler = importlib.import_module("escalation.handler").handler

    def call(event: Any) -> Any:
        return handler(event, lambda_context)

    return call
