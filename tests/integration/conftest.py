"""Integration fixtures: the suites' LocalStack (tests/conftest.py) with extra rules and a refused flow.

The stack runs the production handler in process against the Connect emulator (real boto3 client),
moto (DLQ, alert topic, idempotency table, SSM) and the local API and bus. Tests use fresh contacts,
and every test starts from LocalStack.reset(): idle bus, no faults, no quota, no denials, empty DLQ and
alert queue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local.connect_emulator import FlowSeed
from local.stack import INSTANCE_ID, LocalStack, StackOptions
from tests.integration.support import events_client, rules_file, suite_stack_options

# botocore attempts per Connect call: small, so a fault script longer than it is cheap to write.
MAX_ATTEMPTS = 2

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


@pytest.fixture(scope="module")
def stack_options(tmp_path_factory: pytest.TempPathFactory) -> StackOptions:
    rules = rules_file(tmp_path_factory.mktemp("rules"), EXTRA_RULES)
    return suite_stack_options(
        extra_env={"CONNECT_MAX_ATTEMPTS": str(MAX_ATTEMPTS), "ROUTING_RULES": str(rules)}
    )


@pytest.fixture(scope="module")
def stack(stack: LocalStack) -> LocalStack:
    """The suites' stack (tests/conftest.py) with a flow TransferContact refuses."""
    stack.connect.add_flow(FlowSeed(INSTANCE_ID, WHISPER_FLOW, "AGENT_WHISPER"))
    return stack


@pytest.fixture
def events(stack: LocalStack) -> Any:
    return events_client()
