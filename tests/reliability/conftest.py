"""Reliability suites (marker `slow`): sized for CI by default, larger through environment variables.

(the sizes live in tests/reliability/sizes.py)
    RELIABILITY_FAULT_ESCALATIONS   escalations in the fault-injection run (default 300; the full
                                    size is 2000)
    RELIABILITY_DUPLICATE_CONTACTS  contacts in the duplicate-delivery runs (default 30 per trigger)
    RELIABILITY_MAX_EXAMPLES        Hypothesis / schemathesis examples per property (default 100)

Each module gets its own LocalStack on free ports: the `stack` fixture of tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.slow)
