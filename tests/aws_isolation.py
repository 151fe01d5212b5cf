"""Dummy AWS credentials and no shared AWS configuration for a block of tests (local.aws.isolated_env)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.aws import ISOLATION_UNSET, isolated_env


@contextlib.contextmanager
def isolated_aws_env(tmp_dir: Path) -> Iterator[None]:
    """Dummy credentials and nothing from the developer's AWS configuration or endpoints, until exit."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ISOLATION_UNSET:
            mp.delenv(name, raising=False)
        for name, value in isolated_env(tmp_dir).items():
            mp.setenv(name, value)
        yield
