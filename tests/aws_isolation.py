"""The tests' way into local.aws_isolation: the process environment isolated for a block of tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.aws_isolation import ISOLATION_UNSET, isolated_aws_variables


@contextlib.contextmanager
def isolated_aws_environment(scratch_dir: Path) -> Iterator[None]:
    """os.environ with dummy credentials and nothing of the developer's AWS set-up, restored on exit."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ISOLATION_UNSET:
            mp.delenv(name, raising=False)
        for name, value in isolated_aws_variables(scratch_dir).items():
            mp.setenv(name, value)
        yield
