"""Fixtures for the local stack's own tests: one moto server per session, a fake handler, real clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local.aws import ISOLATION_UNSET, LocalAws, isolated_env
from tests.local.helpers import RecordingHandler


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials, and nothing from the developer's own AWS configuration or endpoints."""
    for name in ISOLATION_UNSET:
        monkeypatch.delenv(name, raising=False)
    for name, value in isolated_env(tmp_path).items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def session_aws() -> Iterator[LocalAws]:
    # One server for the session: stopping moto's server takes about half a second (its poll interval).
    with LocalAws(routing_rules={"rules": [{"match": {"queue": "q-1"}, "target": "q-2"}]}) as aws:
        yield aws


@pytest.fixture
def aws(session_aws: LocalAws) -> LocalAws:
    """The session's LocalAws with the DLQ and the alert subscriber emptied."""
    session_aws.purge()
    return session_aws


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()
