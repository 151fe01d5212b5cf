"""CDK tests: each stack under test is synthesized once per run and shared by every module that checks it.

jsii prints a Node 20 end-of-life banner on every start; keep the output readable.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from tests.infra.infra_support import STACK_CONTEXTS, Synth, synthesize

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Synth]:
    """The synthesized stack of a name in STACK_CONTEXTS, synthesized on first use (a synth takes seconds)."""
    done: dict[str, Synth] = {}

    def stack(name: str) -> Synth:
        if name not in done:
            done[name] = synthesize(STACK_CONTEXTS[name], tmp_path_factory.mktemp(f"cdk-{name}"))
        return done[name]

    return stack
