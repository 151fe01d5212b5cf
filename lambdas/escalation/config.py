"""Settings from environment variables, validated once at start-up.

A missing or bad setting raises ConfigurationError naming the variable, so a misconfigured deployment
fails its first invocation loudly instead of misrouting escalations.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass

from escalation.contract import (
    CHANNEL_NAMES,
    DEFAULT_CALLER_USER_ID_CLAIM,
    DEFAULT_LEDGER_RETENTION_DAYS,
    DEFAULT_ROUTING_RULES_FILE,
    DEFAULT_SLA_CALENDAR_CACHE_SECONDS,
    DEFAULT_SUPERVISOR_GROUP,
    DEFAULT_TIMED_CHANNEL_NAMES,
    EnvVar,
)
from escalation.domain.authorization import group_name_problem

SSM_PREFIX = "ssm:"


class ConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class SlaTimerSettings:
    """Where SLA timers go (a schedule group) and what they invoke (the handler), as which role."""

    schedule_group: str
    target_arn: str
    scheduler_role_arn: str
    dead_letter_arn: str
    timed_channels: frozenset[str] = frozenset(DEFAULT_TIMED_CHANNEL_NAMES)


@dataclass(frozen=True)
class Settings:
    connect_instance_id: str
    routing_rules: str  # a path relative to the Lambda code root, an absolute path, or "ssm:<name>"
    dlq_url: str
    alert_topic_arn: str
    idempotency_table: str
    caller_user_id_claim: str
    caller_client_ids: frozenset[str]  # Cognito app clients whose ID tokens the API accepts
    supervisor_group: str
    connect_max_attempts: int
    connect_transfer_rate: float  # calls/s for this environment; 0 = not paced
    routing_rules_cache_seconds: int
    ledger_table: str
    ledger_retention_days: int
    event_bus_name: str  # where escalation events go
    connect_instance_arn: str  # arn:<partition>:connect:<region>:<account>:instance/<connect_instance_id>
    dead_letter_mac_key_id: str  # the KMS HMAC key that signs dead-letter records
    alert_dedup_window_seconds: int = 86_400  # one alert per escalation and error code in this span
    sla_timers: SlaTimerSettings | None = None  # None: contact events arm no timers
    # How long queues' hours ids and effective hours are remembered (business-hours SLA clocks).
    sla_calendar_cache_seconds: int = DEFAULT_SLA_CALENDAR_CACHE_SECONDS

    @property
    def routing_rules_parameter(self) -> str | None:
        return (
            self.routing_rules.removeprefix(SSM_PREFIX) if self.routing_rules.startswith(SSM_PREFIX) else None
        )


def _required(env: Mapping[str, str], name: str, hint: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"{name} is not set: {hint}")
    return value


def _client_ids(env: Mapping[str, str], name: str) -> frozenset[str]:
    ids = frozenset(part.strip() for part in env.get(name, "").split(",") if part.strip())
    if not ids:
        raise ConfigurationError(
            f"{name} is not set: the comma-separated Cognito app client ids whose ID tokens the API accepts"
        )
    return ids


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigurationError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _rate(env: Mapping[str, str], name: str) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number of calls per second, got {raw!r}") from None
    if not 0 <= value <= 1000:
        raise ConfigurationError(f"{name} must be between 0 and 1000 calls per second, got {value:g}")
    return value


def timed_channels(text: str) -> frozenset[str]:
    """The deployed timed channels from their comma-separated list (empty: the default, TASK and EMAIL)."""
    names = [name.strip().upper() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(CHANNEL_NAMES))
    if unknown:
        raise ConfigurationError(
            f"{EnvVar.SLA_TIMED_CHANNELS} names unknown channels {unknown}; "
            f"use any of {', '.join(CHANNEL_NAMES)}"
        )
    return frozenset(names or DEFAULT_TIMED_CHANNEL_NAMES)


def _sla_timers(env: Mapping[str, str]) -> SlaTimerSettings | None:
    enabled = env.get(EnvVar.SLA_TIMERS_ENABLED, "").strip().lower()
    if enabled in ("", "false"):
        return None
    if enabled != "true":
        raise ConfigurationError(f"{EnvVar.SLA_TIMERS_ENABLED} must be true or false, got {enabled!r}")
    arns = {
        name: _required(env, name, hint)
        for name, hint in (
            (EnvVar.SLA_TIMER_TARGET_ARN, "the ARN of the function the SLA schedules invoke"),
            (EnvVar.SLA_SCHEDULER_ROLE_ARN, "the ARN of the role EventBridge Scheduler invokes it as"),
            (EnvVar.SLA_SCHEDULE_DLQ_ARN, "the ARN of the SLA schedules' dead-letter queue"),
        )
    }
    for name, value in arns.items():
        if not value.startswith("arn:"):
            raise ConfigurationError(f"{name} must be an ARN, got {value!r}")
    return SlaTimerSettings(
        schedule_group=_required(env, EnvVar.SLA_SCHEDULE_GROUP, "the SLA schedules' schedule group"),
        target_arn=arns[EnvVar.SLA_TIMER_TARGET_ARN],
        timed_channels=timed_channels(env.get(EnvVar.SLA_TIMED_CHANNELS, "")),
        scheduler_role_arn=arns[EnvVar.SLA_SCHEDULER_ROLE_ARN],
        dead_letter_arn=arns[EnvVar.SLA_SCHEDULE_DLQ_ARN],
    )


def _instance_arn(env: Mapping[str, str], instance_id: str) -> str:
    arn = _required(env, EnvVar.CONNECT_INSTANCE_ARN, "the ARN of your Amazon Connect instance")
    parts = arn.split(":", 5)
    if (
        len(parts) != 6
        or parts[0] != "arn"
        or parts[2] != "connect"
        or not all(parts[1:5])
        or parts[5] != f"instance/{instance_id}"
    ):
        raise ConfigurationError(
            f"{EnvVar.CONNECT_INSTANCE_ARN} must be arn:<partition>:connect:<region>:<account>:instance/"
            f"{instance_id} (the instance of {EnvVar.CONNECT_INSTANCE_ID}), got {arn!r}"
        )
    return arn


def load_settings(env: Mapping[str, str]) -> Settings:
    instance_id = _required(env, EnvVar.CONNECT_INSTANCE_ID, "the id of your Amazon Connect instance")
    if len(instance_id) > 100:
        raise ConfigurationError(f"{EnvVar.CONNECT_INSTANCE_ID} is longer than Connect's 100 characters")
    dlq_url = _required(env, EnvVar.DLQ_URL, "the URL of the escalation dead-letter queue")
    if not dlq_url.startswith(("https://", "http://")):
        raise ConfigurationError(f"{EnvVar.DLQ_URL} must be an SQS queue URL, got {dlq_url!r}")
    topic_arn = _required(env, EnvVar.ALERT_TOPIC_ARN, "the ARN of the alert SNS topic")
    if not topic_arn.startswith("arn:"):
        raise ConfigurationError(f"{EnvVar.ALERT_TOPIC_ARN} must be an SNS topic ARN, got {topic_arn!r}")
    routing_rules = env.get(EnvVar.ROUTING_RULES, "").strip() or DEFAULT_ROUTING_RULES_FILE
    if routing_rules == SSM_PREFIX:
        raise ConfigurationError(f"{EnvVar.ROUTING_RULES} names no SSM parameter after 'ssm:'")
    supervisor_group = env.get(EnvVar.SUPERVISOR_GROUP, "").strip() or DEFAULT_SUPERVISOR_GROUP
    if (problem := group_name_problem(supervisor_group)) is not None:
        raise ConfigurationError(
            f"{EnvVar.SUPERVISOR_GROUP} {supervisor_group!r} cannot be matched: {problem}"
        )
    return Settings(
        connect_instance_id=instance_id,
        routing_rules=routing_rules,
        dlq_url=dlq_url,
        alert_topic_arn=topic_arn,
        idempotency_table=_required(env, EnvVar.IDEMPOTENCY_TABLE, "the idempotency DynamoDB table name"),
        caller_user_id_claim=env.get(EnvVar.CALLER_USER_ID_CLAIM, "").strip() or DEFAULT_CALLER_USER_ID_CLAIM,
        caller_client_ids=_client_ids(env, EnvVar.CALLER_CLIENT_IDS),
        supervisor_group=supervisor_group,
        connect_max_attempts=_integer(env, EnvVar.CONNECT_MAX_ATTEMPTS, default=4, low=1, high=10),
        connect_transfer_rate=_rate(env, EnvVar.CONNECT_TRANSFER_RATE),
        routing_rules_cache_seconds=_integer(
            env, EnvVar.ROUTING_RULES_CACHE_SECONDS, default=300, low=0, high=86_400
        ),
        ledger_table=_required(env, EnvVar.LEDGER_TABLE, "the escalation ledger DynamoDB table name"),
        ledger_retention_days=_integer(
            env, EnvVar.LEDGER_RETENTION_DAYS, default=DEFAULT_LEDGER_RETENTION_DAYS, low=1, high=36_500
        ),
        event_bus_name=env.get(EnvVar.EVENT_BUS_NAME, "").strip() or "default",
        alert_dedup_window_seconds=_integer(
            env, EnvVar.ALERT_DEDUP_WINDOW_SECONDS, default=86_400, low=0, high=7 * 86_400
        ),
        sla_timers=_sla_timers(env),
        connect_instance_arn=_instance_arn(env, instance_id),
        dead_letter_mac_key_id=_required(
            env, EnvVar.DEAD_LETTER_MAC_KEY_ID, "the KMS HMAC key that signs dead-letter records"
        ),
        sla_calendar_cache_seconds=_integer(
            env,
            EnvVar.SLA_CALENDAR_CACHE_SECONDS,
            default=DEFAULT_SLA_CALENDAR_CACHE_SECONDS,
            low=0,
            high=86_400,
        ),
    )


def settings() -> Settings:
    """The process's settings, from its environment."""
    return load_settings(os.environ)
