"""Fixtures: a fresh emulator on a free 127.0.0.1 port per test, and a real boto3 client for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.aws import ISOLATION_UNSET, isolated_env
from local.connect_emulator import ConnectEmulator, EmulatorOptions
from local.connect_emulator.testing import Scenario, connect_client, seed_scenario


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials, and nothing from the developer's own AWS configuration (as every local run)."""
    for name in ISOLATION_UNSET:
        monkeypatch.delenv(name, raising=False)
    for name, value in isolated_env(tmp_path).items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def emulator() -> Iterator[ConnectEmulator]:
    """No rate quota by default (tests that need Connect's 2/s burst 5 set it)."""
    with ConnectEmulator(EmulatorOptions(rate=None, seed=7)) as running:
        yield running


@pytest.fixture
def connect(emulator: ConnectEmulator) -> Any:
    """A boto3 connect client with botocore retries disabled."""
    return connect_client(emulator.endpoint_url)


@pytest.fixture
def seeded(emulator: ConnectEmulator) -> Scenario:
    return seed_scenario(emulator)
