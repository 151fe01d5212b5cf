"""Integration fixtures: one LocalStack per module on free ports, cleaned between tests.

The stack runs the production handler in process against the Connect emulator (real boto3 client),
moto (DLQ, alert topic, idempotency table, SSM) and the local API and bus. Tests use fresh contacts,
and every test starts with an idle bus, no faults, no quota and an empty DLQ and alert queue.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.connect_emulator import FaultScope, FlowSeed, QuotaPlan
from local.stack import INSTANCE_ID, LocalStack, StackOptions
from tests.integration.support import events_client, rules_file, running_stack, wait_idle

# botocore attempts per Connect call: small, so a fault script longer than it is cheap to write.
MAX_ATTEMPTS = 2
RETRY_DELAYS = (0.05, 0.1)  # Lambda's asynchronous retries, shortened

# Rules in front of the bundled ones, each reaching one Connect error through a real transfer.
WHISPER_FLOW = "flow-agent-whisper"  # a flow type TransferContact does not accept
MISSING_QUEUE = "queue-does-not-exist"
EXTRA_RULES = [
    {
        "name": "unsupported-flow-type",
        "match": {"reasons": ["WHISPER_FLOW"]},
        "target": {"queue": {"id": "queue-tier2", "flowId": WHISPER_FLOW}},
    },
    {
        "name": "queue-that-does-not-exist",
        "match": {"reasons": ["MISSING_QUEUE"]},
        "target": {"queue": {"id": MISSING_QUEUE, "flowId": "flow-transfer-to-queue"}},
    },
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.integration)


def integration_options(rules: Path | None = None, **overrides: Any) -> StackOptions:
    extra_env = {"CONNECT_MAX_ATTEMPTS": str(MAX_ATTEMPTS)}
    if rules is not None:
        extra_env["ROUTING_RULES"] = str(rules)
    options: dict[str, Any] = {
        "api_port": 0,
        "transfer_rate": None,
        "retry_delays": RETRY_DELAYS,
        "extra_env": extra_env,
    }
    options.update(overrides)
    return StackOptions(**options)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    tmp = tmp_path_factory.mktemp("stack")
    with running_stack(tmp, integration_options(rules_file(tmp, EXTRA_RULES))) as running:
        running.connect.add_flow(FlowSeed(INSTANCE_ID, WHISPER_FLOW, "AGENT_WHISPER"))
        yield running


@pytest.fixture(autouse=True)
def clean(request: pytest.FixtureRequest) -> Iterator[None]:
    if "stack" not in request.fixturenames:
        yield
        return
    running: LocalStack = request.getfixturevalue("stack")
    reset(running)
    yield
    reset(running)


def reset(running: LocalStack) -> None:
    """Nothing left over from the previous test: idle bus, no faults or quota, empty DLQ and alerts."""
    wait_idle(running)
    running.connect.clear_faults(FaultScope())
    running.connect.set_quota(QuotaPlan(None, 5, "TransferContact"))
    running.aws.purge()


@pytest.fixture
def events(stack: LocalStack) -> Any:
    return events_client()
