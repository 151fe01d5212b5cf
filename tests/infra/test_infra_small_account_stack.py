"""`-c reservedConcurrency=none`: deployable where Lambda refuses any reservation."""

from __future__ import annotations

import pytest

from escalation import contract
from tests.infra.infra_support import (
    INSTANCE_ID,
    Synth,
    assert_cfn_lint_clean,
    assert_no_nag_findings,
    synthesize,
)

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    context = {"connectInstanceId": INSTANCE_ID, "reservedConcurrency": "none", "transferEnvironments": "4"}
    return synthesize(context, tmp_path_factory.mktemp("cdk-small-account"))


def test_function_reserves_no_concurrency(synth: Synth) -> None:
    _, function = synth.one("AWS::Lambda::Function")
    assert "ReservedConcurrentExecutions" not in function["Properties"]


def test_pacing_shares_the_quota_among_the_assumed_environments(synth: Synth) -> None:
    _, function = synth.one("AWS::Lambda::Function")
    # Connect's default 2 transfers/s over the 4 environments assumed by -c transferEnvironments=4.
    assert function["Properties"]["Environment"]["Variables"][contract.EnvVar.CONNECT_TRANSFER_RATE] == "0.5"


def test_checks_pass_without_a_reservation(synth: Synth) -> None:
    assert_no_nag_findings(synth)
    assert_cfn_lint_clean(synth)
