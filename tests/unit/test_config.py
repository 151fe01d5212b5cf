"""Settings: every missing or bad variable fails with its name, so a bad deployment fails loudly."""

import importlib
import sys

import pytest

from escalation.config import ConfigurationError, load_settings
from escalation.contract import DEFAULT_ROUTING_RULES_FILE

GOOD = {
    "CONNECT_INSTANCE_ID": "11111111-2222-3333-4444-555555555555",
    "DLQ_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/escalation-dlq",
    "ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:escalation-alerts",
    "IDEMPOTENCY_TABLE": "escalation-idempotency",
    "CALLER_CLIENT_IDS": "desktop-app-client",
    "LEDGER_TABLE": "escalation-ledger",
}


def test_optional_variables_fall_back_to_their_documented_defaults() -> None:
    config = load_settings(GOOD)
    assert config.connect_instance_id == GOOD["CONNECT_INSTANCE_ID"]
    assert config.routing_rules == DEFAULT_ROUTING_RULES_FILE
    assert config.routing_rules_parameter is None
    assert config.caller_user_id_claim == "custom:connect_user_id"
    assert config.supervisor_group == "supervisors"
    assert config.connect_max_attempts == 4
    assert config.routing_rules_cache_seconds == 300
    assert config.ledger_retention_days == 400
    assert config.event_bus_name == "default"


@pytest.mark.parametrize(("raw", "ids"), [("a", {"a"}), (" a , b ", {"a", "b"}), ("a,,b,", {"a", "b"})])
def test_caller_client_ids_are_a_comma_separated_list(raw: str, ids: set[str]) -> None:
    assert load_settings({**GOOD, "CALLER_CLIENT_IDS": raw}).caller_client_ids == ids


def test_caller_client_ids_without_an_id_are_refused_by_name() -> None:
    with pytest.raises(ConfigurationError, match=r"^CALLER_CLIENT_IDS is not set"):
        load_settings({**GOOD, "CALLER_CLIENT_IDS": " , ,"})


def test_values_are_stripped() -> None:
    config = load_settings({**GOOD, "IDEMPOTENCY_TABLE": "  table  ", "CONNECT_MAX_ATTEMPTS": " 2 "})
    assert config.idempotency_table == "table"
    assert config.connect_max_attempts == 2


def test_an_ssm_prefix_names_the_parameter_holding_the_rules() -> None:
    config = load_settings({**GOOD, "ROUTING_RULES": "ssm:/escalation/rules"})
    assert config.routing_rules_parameter == "/escalation/rules"


@pytest.mark.parametrize(
    "name",
    [
        "CONNECT_INSTANCE_ID",
        "DLQ_URL",
        "ALERT_TOPIC_ARN",
        "IDEMPOTENCY_TABLE",
        "CALLER_CLIENT_IDS",
        "LEDGER_TABLE",
    ],
)
@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_missing_required_variable_is_named(name: str, value: str | None) -> None:
    env = {key: val for key, val in GOOD.items() if key != name}
    if value is not None:
        env[name] = value
    with pytest.raises(ConfigurationError, match=f"^{name} is not set"):
        load_settings(env)


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("CONNECT_INSTANCE_ID", "x" * 101, "longer than Connect's 100 characters"),
        ("DLQ_URL", "escalation-dlq", "must be an SQS queue URL"),
        ("DLQ_URL", "arn:aws:sqs:us-east-1:123456789012:escalation-dlq", "must be an SQS queue URL"),
        ("ALERT_TOPIC_ARN", "escalation-alerts", "must be an SNS topic ARN"),
        ("ROUTING_RULES", "ssm:", "names no SSM parameter"),
        ("CONNECT_MAX_ATTEMPTS", "three", "must be a whole number"),
        ("CONNECT_MAX_ATTEMPTS", "0", "between 1 and 10"),
        ("CONNECT_MAX_ATTEMPTS", "11", "between 1 and 10"),
        ("ROUTING_RULES_CACHE_SECONDS", "-1", "between 0 and 86400"),
        ("ROUTING_RULES_CACHE_SECONDS", "86401", "between 0 and 86400"),
        ("ROUTING_RULES_CACHE_SECONDS", "1.5", "must be a whole number"),
        ("SLA_CALENDAR_CACHE_SECONDS", "-1", "between 0 and 86400"),
        ("SLA_CALENDAR_CACHE_SECONDS", "5m", "must be a whole number"),
        ("CONNECT_TRANSFER_RATE", "fast", "must be a number of calls per second"),
        ("CONNECT_TRANSFER_RATE", "-0.4", "between 0 and 1000"),
    ],
)
def test_a_bad_variable_is_named(name: str, value: str, complaint: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings({**GOOD, name: value})
    assert str(raised.value).startswith(name)
    assert complaint in str(raised.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONNECT_INSTANCE_ID", "x" * 100),
        ("CONNECT_MAX_ATTEMPTS", "1"),
        ("CONNECT_MAX_ATTEMPTS", "10"),
        ("ROUTING_RULES_CACHE_SECONDS", "0"),
        ("ROUTING_RULES_CACHE_SECONDS", "86400"),
        ("SLA_CALENDAR_CACHE_SECONDS", "0"),
        ("DLQ_URL", "http://localhost.localstack.cloud:4566/000000000000/dlq"),
        ("CONNECT_TRANSFER_RATE", "0"),
        ("CONNECT_TRANSFER_RATE", "0.4"),
    ],
)
def test_boundary_values_are_accepted(name: str, value: str) -> None:
    load_settings({**GOOD, name: value})


def test_the_handler_fails_its_cold_start_naming_the_variable(
    handler_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IDEMPOTENCY_TABLE")
    monkeypatch.delitem(sys.modules, "escalation.handler", raising=False)
    with pytest.raises(ConfigurationError, match="IDEMPOTENCY_TABLE"):
        importlib.import_module("escalation.handler")


def test_transfers_are_not_paced_unless_a_rate_is_set() -> None:
    assert load_settings(GOOD).connect_transfer_rate == 0
    assert load_settings({**GOOD, "CONNECT_TRANSFER_RATE": "0.4"}).connect_transfer_rate == 0.4


SLA_ON = {
    "SLA_TIMERS_ENABLED": "true",
    "SLA_SCHEDULE_GROUP": "escalation-sla",
    "SLA_TIMER_TARGET_ARN": "arn:aws:lambda:us-east-1:123456789012:function:escalation",
    "SLA_SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/sla-scheduler",
    "SLA_SCHEDULE_DLQ_ARN": "arn:aws:sqs:us-east-1:123456789012:sla-dlq",
}


@pytest.mark.parametrize("flag", [None, "", "false", "FALSE"])
def test_sla_timers_are_off_unless_enabled(flag: str | None) -> None:
    env = GOOD if flag is None else {**GOOD, "SLA_TIMERS_ENABLED": flag}
    assert load_settings(env).sla_timers is None


def test_sla_timers_on_read_their_group_target_role_and_dlq() -> None:
    timers = load_settings({**GOOD, **SLA_ON}).sla_timers
    assert timers is not None
    assert timers.schedule_group == "escalation-sla"
    assert timers.scheduler_role_arn.endswith(":role/sla-scheduler")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SLA_TIMERS_ENABLED": "yes"}, "SLA_TIMERS_ENABLED"),
        ({"SLA_SCHEDULE_GROUP": ""}, "SLA_SCHEDULE_GROUP"),
        ({"SLA_SCHEDULER_ROLE_ARN": "sla-scheduler"}, "SLA_SCHEDULER_ROLE_ARN"),
        ({"SLA_SCHEDULE_DLQ_ARN": " "}, "SLA_SCHEDULE_DLQ_ARN"),
    ],
)
def test_bad_sla_timer_settings_are_refused_by_name(change: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=rf"^{named} "):
        load_settings({**GOOD, **SLA_ON, **change})


def test_calendars_are_cached_five_minutes_unless_told_otherwise() -> None:
    assert load_settings(GOOD).sla_calendar_cache_seconds == 300
    assert load_settings({**GOOD, "SLA_CALENDAR_CACHE_SECONDS": "60"}).sla_calendar_cache_seconds == 60
