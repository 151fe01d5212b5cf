"""The checks every synthesized stack passes: cdk-nag, its acknowledgments, cfn-lint."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.infra.infra_support import (
    STACK_CONTEXTS,
    Synth,
    assert_acknowledgments_have_reasons,
    assert_cfn_lint_clean,
    assert_every_acknowledgment_is_still_raised,
    assert_no_nag_findings,
)

pytestmark = pytest.mark.infra

EVERY_STACK = tuple(STACK_CONTEXTS)
# `-c slaTimers=false` only leaves resources out of the default stack: the nag checks cover it; a bare
# synthesis and cfn-lint for it would find nothing the default stack's do not.
LINTED_STACKS = ("default", "options", "desktop")


@pytest.mark.parametrize("name", EVERY_STACK)
def test_cdk_nag_has_no_unacknowledged_findings(synthesized: Callable[[str], Synth], name: str) -> None:
    assert_no_nag_findings(synthesized(name))


@pytest.mark.parametrize("name", EVERY_STACK)
def test_every_acknowledgment_has_a_reason(synthesized: Callable[[str], Synth], name: str) -> None:
    assert_acknowledgments_have_reasons(synthesized(name))


@pytest.mark.parametrize("name", LINTED_STACKS)
def test_every_acknowledged_finding_is_still_raised(synthesized: Callable[[str], Synth], name: str) -> None:
    assert_every_acknowledgment_is_still_raised(synthesized(name))


@pytest.mark.parametrize("name", LINTED_STACKS)
def test_cfn_lint_is_clean(synthesized: Callable[[str], Synth], name: str) -> None:
    assert_cfn_lint_clean(synthesized(name))
