"""Fixtures: a fresh emulator on a free 127.0.0.1 port per test, and a real boto3 client for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.connect_emulator import ConnectEmulator, EmulatorOptions
from local.connect_emulator.testing import Scenario, connect_client, seed_scenario
from tests.aws_isolation import isolated_aws_environment


@pytest.fixture(autouse=True)
def aws_env(tmp_path: Path) -> Iterator[None]:
    """Dummy credentials, and nothing from the developer's own AWS configuration (as every local run)."""
    with isolated_aws_environment(tmp_path):
        yield


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
