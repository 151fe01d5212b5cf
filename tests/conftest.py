"""Fixtures every suite that runs the whole local stack shares.

A test module gets a running `local.stack.LocalStack` by asking for `stack`: one per module, started by
tests.integration.support.running_stack (isolated AWS environment, free ports). A module or conftest
that needs other options overrides the module-scoped `stack_options` fixture (see
tests.integration.support.suite_stack_options). Before and after every test that uses `stack`,
`LocalStack.reset()` runs: idle bus, no faults, no quota, no denials, empty DLQ and alert queue.
A test that starts local AWS pieces itself asks for `isolated_aws` (tests/aws_isolation.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from local.stack import LocalStack, StackOptions


@pytest.fixture
def isolated_aws(tmp_path: Path) -> Iterator[None]:
    """Dummy AWS credentials and nothing from the developer's AWS configuration, for one test."""
    from tests.aws_isolation import isolated_aws_environment  # noqa: PLC0415 - only suites with local AWS

    with isolated_aws_environment(tmp_path):
        yield


@pytest.fixture(scope="module")
def stack_options() -> StackOptions:
    from tests.integration.support import suite_stack_options  # noqa: PLC0415 - only suites with a stack

    return suite_stack_options()


@pytest.fixture(scope="module")
def stack(stack_options: StackOptions, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    from tests.integration.support import running_stack  # noqa: PLC0415 - only suites with a stack

    with running_stack(tmp_path_factory.mktemp("stack"), stack_options) as running:
        yield running


@pytest.fixture(autouse=True)
def reset_stack(request: pytest.FixtureRequest) -> Iterator[None]:
    """Nothing left over from the previous test on the module's local stack (a no-op without one)."""
    if "stack" not in request.fixturenames:
        yield
        return
    running: LocalStack = request.getfixturevalue("stack")
    running.reset()
    yield
    running.reset()
