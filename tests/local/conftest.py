"""Fixtures for the local stack's own tests: one moto server per session, a fake handler, real clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local.aws import LocalAws
from local.bus import BusOptions, LocalBus
from local.lambda_context import FunctionConfig
from local.lambda_invoker import AsyncInvoker
from tests.aws_isolation import isolated_aws_environment
from tests.local.helpers import RecordingHandler


@pytest.fixture(autouse=True)
def aws_env(tmp_path: Path) -> Iterator[None]:
    """Dummy credentials, and nothing from the developer's own AWS configuration or endpoints."""
    with isolated_aws_environment(tmp_path):
        yield


@pytest.fixture(scope="session")
def session_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAws]:
    # One server for the session: stopping moto's server takes about half a second (its poll interval).
    # Started in an isolated environment of its own (session fixtures start before the autouse aws_env),
    # which ends once it runs so that it does not leak into other suites.
    with isolated_aws_environment(tmp_path_factory.mktemp("session-aws")):
        aws = LocalAws(routing_rules={"rules": [{"match": {"queue": "q-1"}, "target": "q-2"}]}).start()
    try:
        yield aws
    finally:
        aws.stop()


@pytest.fixture
def aws(session_aws: LocalAws) -> LocalAws:
    """The session's LocalAws with the DLQ and the alert subscriber emptied."""
    session_aws.purge()
    return session_aws


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def bus_function() -> FunctionConfig:
    """The function behind the bus: one execution environment, the stack's retries (a module may override)."""
    return FunctionConfig()


@pytest.fixture
def bus_options() -> BusOptions:
    """The SLA-breach rule's pattern, no DLQ for the bus itself (a module may override)."""
    return BusOptions()


@pytest.fixture
def bus(
    handler: RecordingHandler, bus_function: FunctionConfig, bus_options: BusOptions
) -> Iterator[LocalBus]:
    """A running local bus that invokes `handler`."""
    with LocalBus(AsyncInvoker(handler, bus_function), bus_options) as running:
        yield running
