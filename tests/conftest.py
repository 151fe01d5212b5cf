"""Fixtures every suite that runs the whole local stack shares.

A test module gets a running `local.stack.LocalStack` by asking for `stack`: one per module, started by
tests.integration.support.running_stack (isolated AWS environment, free ports). A module or conftest
that needs other options overrides the module-scoped `stack_options` fixture (see
tests.integration.support.suite_stack_options). Before and after every test that uses `stack`,
`LocalStack.reset()` runs: idle bus, no faults, no quota, no denials, empty DLQ and alert queue.
A test that starts local AWS pieces itself asks for `isolated_aws` (tests/aws_isolation.py).

In parallel (`make test`: pytest-xdist, `-n TEST_WORKERS`), each worker is its own process with its own
free ports, moto server, emulator and temporary directories; what a fixture sets up once per module or
session is set up once per worker that runs the module. So the tests of one module stay on one worker
(its local stack, serve process or benchmark run is not started twice), every infra test stays on one
worker (each stack is synthesized once), and the suites with nothing costly to share (unit, emulator,
repo, tools) are spread test by test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from local.stack import LocalStack, StackOptions

TESTS_DIR = Path(__file__).resolve().parent
SPREAD_TEST_BY_TEST = frozenset({"unit", "emulator", "repo", "tools"})
ONE_WORKER_PER_SUITE = frozenset({"infra"})


def work_unit_of(nodeid: str) -> str:
    """What goes to one worker together: a test of a suite spread test by test, every test of a suite kept
    on one worker, or else every test of its module."""
    path = nodeid.split("::", 1)[0]
    parts = Path(path).parts
    suite = parts[1] if len(parts) > 2 and parts[0] == TESTS_DIR.name else ""
    if suite in SPREAD_TEST_BY_TEST:
        return nodeid
    return f"{parts[0]}/{suite}" if suite in ONE_WORKER_PER_SUITE else path


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With `-n N` and xdist's default distribution: work units as work_unit_of says, largest first."""
    if config.getvalue("dist") != "load":
        return None  # an explicit --dist chooses xdist's own scheduler
    from xdist.scheduler import LoadScopeScheduling  # noqa: PLC0415 - only when xdist runs

    class WorkUnitScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return work_unit_of(nodeid)

    return WorkUnitScheduling(config, log)


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
