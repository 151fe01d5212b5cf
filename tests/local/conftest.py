"""Fixtures for the local stack's own tests: one moto server per session, a fake handler, real clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local.aws import LocalAws
from tests.aws_isolation import isolated_aws_env
from tests.local.helpers import RecordingHandler


@pytest.fixture(autouse=True)
def aws_env(tmp_path: Path) -> Iterator[None]:
    """Dummy credentials, and nothing from the developer's own AWS configuration or endpoints."""
    with isolated_aws_env(tmp_path):
        yield


@pytest.fixture(scope="session")
def session_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAws]:
    # One server for the session: stopping moto's server takes about half a second (its poll interval).
    # Started in an isolated environment of its own (session fixtures start before the autouse aws_env),
    # which ends once it runs so that it does not leak into other suites.
    with isolated_aws_env(tmp_path_factory.mktemp("session-aws")):
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
