"""Typed view of the CDK context the stack is built from (`-c key=value` or cdk.json)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from escalation import contract


class ContextError(ValueError):
    """The CDK context is missing or malformed; the message says which key and how to set it."""


class _ContextSource(Protocol):
    def try_get_context(self, key: str) -> Any: ...


# Connect instance ids are UUIDs; the pattern also keeps wildcards and ARN separators out of the
# IAM resources built from it.
_INSTANCE_ID = re.compile(r"^[A-Za-z0-9-]{1,100}$")
_ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,19}$")
_DEFAULT_RESERVED_CONCURRENCY = 5
# `-c reservedConcurrency=none`: no reservation (accounts whose concurrency quota is 10 or 50 refuse any).
_NO_RESERVATION = "none"
# Without a reservation nothing caps the environments; pacing then assumes this many share the quota.
_DEFAULT_TRANSFER_ENVIRONMENTS = 5
# The function's memory (`-c memorySize=`): the cheapest size that keeps the API path's p99 within its
# budget and the measured peak memory within 60 % of it (bench/results/cost.md, docs/performance.md).
DEFAULT_MEMORY_MB = 256
_MIN_MEMORY_MB, _MAX_MEMORY_MB = 128, 10_240  # Lambda's range, in 1 MB steps
# Cognito app client ids (the pattern in the Cognito API reference).
_CLIENT_ID = re.compile(r"^[\w+]{1,128}$")
# Connect's default TransferContact rate quota per account and Region (Service Quotas L-43B4F8CE).
_DEFAULT_TRANSFER_QUOTA = 2.0
# A Connect instance alias (CreateInstance's InstanceAlias): letters, digits and inner hyphens, at most
# 45 characters, not starting with "d-" (reserved for directory ids).
_INSTANCE_ALIAS = re.compile(r"^(?!d-)[A-Za-z0-9]+(?:-+[A-Za-z0-9]+)*$")
_MAX_ALIAS_LENGTH = 45
# The repository root: the app's bundle is built into desktop/dist (`make desktop`).
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DESKTOP_DIST = REPO_ROOT / "desktop" / "dist"


def _text(source: _ContextSource, key: str) -> str | None:
    value = source.try_get_context(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _flag(source: _ContextSource, key: str) -> bool:
    # `-c key=true` arrives as the string "true"; cdk.json may hold a real boolean.
    value = source.try_get_context(key)
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes"} if value is not None else False


@dataclass(frozen=True)
class StackConfig:
    """Everything the stack needs to know about the target environment."""

    connect_instance_id: str
    env_name: str = "dev"
    user_pool_id: str | None = None
    event_bus_name: str | None = None
    alert_email: str | None = None
    desktop_origin: str | None = None
    routing_rules_parameter: bool = False
    user_pool_client_ids: tuple[str, ...] = ()
    reserved_concurrency: int | None = _DEFAULT_RESERVED_CONCURRENCY
    transfer_environments: int = _DEFAULT_TRANSFER_ENVIRONMENTS
    transfer_quota: float = _DEFAULT_TRANSFER_QUOTA
    caller_user_id_claim: str = contract.DEFAULT_CALLER_USER_ID_CLAIM
    supervisor_group: str = contract.DEFAULT_SUPERVISOR_GROUP
    audit_retention_days: int = contract.DEFAULT_LEDGER_RETENTION_DAYS
    sla_timers: bool = True  # `-c slaTimers=false`: no contact-event rule, schedule group or grants
    # `-c timedChannels=TASK,EMAIL,VOICE,CHAT`: the channels whose contact events arm SLA timers.
    timed_channels: tuple[str, ...] = contract.DEFAULT_TIMED_CHANNEL_NAMES
    # The agent's Escalate app (infra/desktop_hosting.py, infra/agent_workspace.py): deployed when the
    # instance alias is known and `-c desktopApp=false` is not given.
    connect_instance_alias: str | None = None
    desktop_app: bool = True
    desktop_dist: Path = DEFAULT_DESKTOP_DIST
    memory_size: int = DEFAULT_MEMORY_MB
    # `-c snapStart=true`: SnapStart on published versions, every trigger on the alias (infra/compute.py).
    snap_start: bool = False

    @property
    def deploys_desktop_app(self) -> bool:
        """The app goes with the stack: asked for, the alias known, and the stack's own user pool (the
        app signs in with its managed login)."""
        return self.desktop_app and self.connect_instance_alias is not None and self.user_pool_id is None

    @property
    def pacing_environments(self) -> int:
        """How many execution environments share the TransferContact quota: the reservation when
        there is one, else the `transferEnvironments` assumption."""
        return self.reserved_concurrency or self.transfer_environments

    @property
    def transfer_rate_per_environment(self) -> float:
        """Each execution environment's share of the TransferContact quota, in calls per second."""
        return self.transfer_quota / self.pacing_environments

    @property
    def uses_default_bus(self) -> bool:
        return self.event_bus_name in (None, "default")

    @property
    def bus_name(self) -> str:
        """The bus the SLA rule listens on and the escalation events go to."""
        return self.event_bus_name or "default"

    @classmethod
    def from_context(cls, source: _ContextSource) -> StackConfig:
        instance_id = _text(source, "connectInstanceId")
        if instance_id is None:
            raise ContextError(
                "Missing CDK context 'connectInstanceId' (the Amazon Connect instance id, a UUID). "
                "Pass it as `cdk synth -c connectInstanceId=<instance-id>` or set it in cdk.json."
            )
        if not _INSTANCE_ID.match(instance_id):
            raise ContextError(
                f"CDK context 'connectInstanceId' must be a Connect instance id (letters, digits, '-'), "
                f"got {instance_id!r}. Use the id, not the ARN: -c connectInstanceId=<instance-id>."
            )
        env_name = _text(source, "envName") or "dev"
        if not _ENV_NAME.match(env_name):
            raise ContextError(
                f"CDK context 'envName' must start with a letter and use letters, digits or '-' "
                f"(at most 20 characters), got {env_name!r}."
            )
        concurrency = _reserved_concurrency(source)
        environments_text = _text(source, "transferEnvironments")
        if environments_text is not None and concurrency is not None:
            raise ContextError(
                "CDK context 'transferEnvironments' applies only with -c reservedConcurrency=none "
                "(with a reservation, the reservation is the number of environments)."
            )
        environments = _positive_int(
            "transferEnvironments", environments_text, _DEFAULT_TRANSFER_ENVIRONMENTS
        )
        quota_text = _text(source, "transferQuota")
        try:
            transfer_quota = float(quota_text) if quota_text else _DEFAULT_TRANSFER_QUOTA
        except ValueError as err:
            raise ContextError(
                f"CDK context 'transferQuota' must be a number (TransferContact calls/s), got {quota_text!r}."
            ) from err
        if not 0 < transfer_quota <= 1000:
            raise ContextError("CDK context 'transferQuota' must be above 0 and at most 1000 calls/s.")
        origin = _text(source, "desktopOrigin")
        if origin is not None and not origin.startswith("https://"):
            raise ContextError(f"CDK context 'desktopOrigin' must be an https:// origin, got {origin!r}.")
        user_pool_id = _text(source, "userPoolId")
        alias = _text(source, "connectInstanceAlias")
        if alias is not None and (len(alias) > _MAX_ALIAS_LENGTH or not _INSTANCE_ALIAS.match(alias)):
            raise ContextError(
                f"CDK context 'connectInstanceAlias' must be the Connect instance's alias (the <alias> of "
                f"https://<alias>.my.connect.aws: letters, digits and '-', at most {_MAX_ALIAS_LENGTH}), "
                f"got {alias!r}."
            )
        dist = _text(source, "desktopDist")
        return cls(
            connect_instance_id=instance_id,
            env_name=env_name,
            user_pool_id=user_pool_id,
            user_pool_client_ids=_user_pool_client_ids(source, user_pool_id),
            event_bus_name=_text(source, "eventBusName"),
            alert_email=_text(source, "alertEmail"),
            desktop_origin=origin.rstrip("/") if origin else None,
            routing_rules_parameter=_flag(source, "routingRulesParameter"),
            reserved_concurrency=concurrency,
            transfer_environments=environments,
            transfer_quota=transfer_quota,
            caller_user_id_claim=_text(source, "callerUserIdClaim") or contract.DEFAULT_CALLER_USER_ID_CLAIM,
            supervisor_group=_text(source, "supervisorGroup") or contract.DEFAULT_SUPERVISOR_GROUP,
            sla_timers=_text(source, "slaTimers") is None or _flag(source, "slaTimers"),
            timed_channels=_timed_channels(_text(source, contract.TIMED_CHANNELS_CONTEXT)),
            connect_instance_alias=alias.lower() if alias else None,
            desktop_app=_text(source, "desktopApp") is None or _flag(source, "desktopApp"),
            desktop_dist=Path(dist).resolve() if dist else DEFAULT_DESKTOP_DIST,
            memory_size=_memory_size(_text(source, "memorySize")),
            snap_start=_flag(source, "snapStart"),
            audit_retention_days=_positive_int(
                "auditRetentionDays",
                _text(source, "auditRetentionDays"),
                contract.DEFAULT_LEDGER_RETENTION_DAYS,
            ),
        )


def _timed_channels(text: str | None) -> tuple[str, ...]:
    if text is None:
        return contract.DEFAULT_TIMED_CHANNEL_NAMES
    names = [name.strip().upper() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(contract.CHANNEL_NAMES))
    if not names or unknown:
        raise ContextError(
            f"CDK context '{contract.TIMED_CHANNELS_CONTEXT}' is a comma-separated list of "
            f"{', '.join(contract.CHANNEL_NAMES)}; got {text!r}."
        )
    return tuple(name for name in contract.CHANNEL_NAMES if name in names)


def _memory_size(text: str | None) -> int:
    value = _positive_int("memorySize", text, DEFAULT_MEMORY_MB)
    if not _MIN_MEMORY_MB <= value <= _MAX_MEMORY_MB:
        raise ContextError(
            f"CDK context 'memorySize' is the function's memory in MB, {_MIN_MEMORY_MB} to {_MAX_MEMORY_MB}; "
            f"got {value}."
        )
    return value


def _positive_int(key: str, text: str | None, default: int) -> int:
    try:
        value = int(text) if text else default
    except ValueError as err:
        raise ContextError(f"CDK context '{key}' must be an integer, got {text!r}.") from err
    if value < 1:
        raise ContextError(f"CDK context '{key}' must be at least 1.")
    return value


def _reserved_concurrency(source: _ContextSource) -> int | None:
    text = _text(source, "reservedConcurrency")
    if text is not None and text.lower() == _NO_RESERVATION:
        return None
    return _positive_int("reservedConcurrency", text, _DEFAULT_RESERVED_CONCURRENCY)


def _user_pool_client_ids(source: _ContextSource, user_pool_id: str | None) -> tuple[str, ...]:
    """The imported pool's app clients whose ID tokens the API accepts (the created pool's own client
    is known to the stack)."""
    text = _text(source, "userPoolClientIds")
    ids = tuple(part.strip() for part in (text or "").split(",") if part.strip())
    if user_pool_id is None:
        if ids:
            raise ContextError(
                "CDK context 'userPoolClientIds' applies only with -c userPoolId=... "
                "(the pool this stack creates has its own client)."
            )
        return ()
    if not ids:
        raise ContextError(
            "CDK context 'userPoolClientIds' is required with 'userPoolId': the app client ids whose ID "
            "tokens the API accepts, comma-separated: -c userPoolClientIds=<client id>[,<client id>]."
        )
    bad = [client_id for client_id in ids if not _CLIENT_ID.match(client_id)]
    if bad:
        raise ContextError(f"CDK context 'userPoolClientIds' holds malformed app client ids: {bad}.")
    return ids


# The Lambda asset root: the handler package `escalation` lives directly under it.
LAMBDA_ROOT = REPO_ROOT / "lambdas"
