"""Context parsing: the required key, its error message, and value checks (no synthesis needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from escalation import contract
from infra.config import ContextError, StackConfig
from tests.infra.infra_support import INSTANCE_ID, REPO_ROOT

pytestmark = pytest.mark.infra


class Context:
    def __init__(self, **values: Any) -> None:
        self.values = values

    def try_get_context(self, key: str) -> Any:
        return self.values.get(key)


def test_missing_instance_id_names_the_key_and_the_flag() -> None:
    with pytest.raises(ContextError) as error:
        StackConfig.from_context(Context())
    assert "connectInstanceId" in str(error.value)
    assert "-c connectInstanceId=" in str(error.value)


@pytest.mark.parametrize(
    "bad",
    ["*", "arn:aws:connect:eu-west-1:123456789012:instance/abc", "abc/contact", "a" * 101],
)
def test_instance_id_must_be_an_id_not_an_arn_or_wildcard(bad: str) -> None:
    with pytest.raises(ContextError, match="connectInstanceId"):
        StackConfig.from_context(Context(connectInstanceId=bad))


def test_only_the_instance_id_is_required_and_defaults_reserve_five_environments() -> None:
    config = StackConfig.from_context(Context(connectInstanceId=INSTANCE_ID))
    assert config == StackConfig(connect_instance_id=INSTANCE_ID)
    assert config.env_name == "dev"
    assert config.uses_default_bus
    assert config.reserved_concurrency == 5
    assert config.transfer_rate_per_environment == pytest.approx(0.4)
    assert config.user_pool_client_ids == ()
    assert config.supervisor_group == contract.DEFAULT_SUPERVISOR_GROUP
    assert config.caller_user_id_claim == contract.DEFAULT_CALLER_USER_ID_CLAIM
    assert not config.routing_rules_parameter
    assert config.audit_retention_days == 400
    assert config.bus_name == "default"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("envName", "has space"),
        ("reservedConcurrency", "many"),
        ("reservedConcurrency", "0"),
        ("transferQuota", "fast"),
        ("transferQuota", "0"),
        ("desktopOrigin", "http://insecure.example"),
        ("transferEnvironments", "0"),
        ("userPoolClientIds", "a,b"),
        ("auditRetentionDays", "0"),
        ("auditRetentionDays", "a year"),
        ("timedChannels", "TASK,FAX"),
        ("timedChannels", ","),
    ],
)
def test_bad_optional_values_are_rejected(key: str, value: str) -> None:
    with pytest.raises(ContextError, match=key):
        StackConfig.from_context(Context(connectInstanceId=INSTANCE_ID, **{key: value}))


@pytest.mark.parametrize(("raw", "expected"), [("true", True), (True, True), ("false", False), (None, False)])
def test_routing_rules_parameter_flag_accepts_strings_and_booleans(raw: Any, expected: bool) -> None:
    config = StackConfig.from_context(Context(connectInstanceId=INSTANCE_ID, routingRulesParameter=raw))
    assert config.routing_rules_parameter is expected


@pytest.mark.parametrize("value", ["none", "None"])
def test_reserved_concurrency_none_reserves_nothing_and_paces_for_assumed_environments(value: str) -> None:
    config = StackConfig.from_context(Context(connectInstanceId=INSTANCE_ID, reservedConcurrency=value))
    assert config.reserved_concurrency is None
    assert config.transfer_rate_per_environment == pytest.approx(2 / 5)
    assumed = StackConfig.from_context(
        Context(connectInstanceId=INSTANCE_ID, reservedConcurrency="none", transferEnvironments="8")
    )
    assert assumed.transfer_rate_per_environment == pytest.approx(2 / 8)


def test_transfer_environments_is_refused_alongside_a_reservation() -> None:
    with pytest.raises(ContextError, match=r"transferEnvironments.*reservedConcurrency=none"):
        StackConfig.from_context(
            Context(connectInstanceId=INSTANCE_ID, reservedConcurrency="3", transferEnvironments="8")
        )


def test_imported_pool_requires_its_client_ids() -> None:
    with pytest.raises(ContextError, match=r"userPoolClientIds.*required"):
        StackConfig.from_context(Context(connectInstanceId=INSTANCE_ID, userPoolId="eu-west-1_AbC"))
    with pytest.raises(ContextError, match="malformed"):
        StackConfig.from_context(
            Context(connectInstanceId=INSTANCE_ID, userPoolId="eu-west-1_AbC", userPoolClientIds="a b,c")
        )
    config = StackConfig.from_context(
        Context(connectInstanceId=INSTANCE_ID, userPoolId="eu-west-1_AbC", userPoolClientIds=" a1, b2 ,")
    )
    assert config.user_pool_client_ids == ("a1", "b2")


def test_app_py_exits_with_the_message_when_context_is_missing() -> None:
    env = {k: v for k, v in os.environ.items() if k != "CDK_CONTEXT_JSON"}
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "connectInstanceId" in result.stderr
    assert "-c connectInstanceId=" in result.stderr


@pytest.mark.parametrize(
    ("value", "on"), [(None, True), ("true", True), (True, True), ("false", False), (False, False)]
)
def test_sla_timers_are_on_unless_turned_off(value: Any, on: bool) -> None:
    context = Context(connectInstanceId=INSTANCE_ID, **({} if value is None else {"slaTimers": value}))
    assert StackConfig.from_context(context).sla_timers is on


def test_memory_size_and_snapstart_are_deploy_time_options() -> None:
    config = StackConfig.from_context(Context(connectInstanceId=INSTANCE_ID))
    assert config.memory_size == 256
    assert not config.snap_start
    chosen = StackConfig.from_context(
        Context(connectInstanceId=INSTANCE_ID, memorySize="512", snapStart="true")
    )
    assert chosen.memory_size == 512
    assert chosen.snap_start


@pytest.mark.parametrize("bad", ["64", "10241", "lots"])
def test_memory_size_outside_lambdas_range_is_refused(bad: str) -> None:
    with pytest.raises(ContextError, match="memorySize"):
        StackConfig.from_context(Context(connectInstanceId=INSTANCE_ID, memorySize=bad))
