"""Routing rules: validated data that picks the target of an escalation.

A rules document is JSON, checked by the pydantic models below when it is loaded; an invalid document
fails with a message naming the rule and the field. The first rule, in document order, whose `match`
holds is used. `level` is the escalation level being reached: 1 for a contact's first escalation,
2 for the next one of the same contact chain, and so on (the escalation ladder).
"""

import json
from collections.abc import Sequence
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from escalation.contract import TIMED_CHANNELS_CONTEXT
from escalation.domain.errors import EscalationRefused
from escalation.domain.model import Contact, RequestedTarget, Target, TargetType
from escalation.domain.policy import Refusal
from escalation.domain.sla_policy import SlaPolicy

Id = Annotated[str, Field(min_length=1, max_length=256)]
ANY = "*"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class QueueTarget(_Strict):
    id: Id
    flow_id: Id = Field(alias="flowId", description="A transfer-to-queue (or inbound) flow.")

    def target(self) -> Target:
        return Target(TargetType.QUEUE, self.id, self.flow_id)


class AgentTarget(_Strict):
    id: Id
    flow_id: Id = Field(alias="flowId", description="A transfer-to-agent flow.")
    fallback_queue: QueueTarget | None = Field(
        default=None, alias="fallbackQueue", description="Used when the agent is not available."
    )

    def target(self) -> Target:
        return Target(TargetType.AGENT, self.id, self.flow_id)


# UpdateContactRoutingData's bounds as the service uses them: a priority of 1 or more (lower is served
# first; new contacts get 5), a routing-age adjustment of up to a day.
MAX_AGE_ADJUSTMENT_SECONDS = 86_400


class InQueueTarget(_Strict):
    """Escalate the contact where it waits (any channel): a better queue priority, or an older routing
    age. No transfer, so no flow, and none of the contact's 11 transfers is spent."""

    priority: (
        Annotated[int, Field(ge=1, description="The queue priority to give (lower is first).")] | None
    ) = None
    age_seconds: (
        Annotated[
            int, Field(ge=1, le=MAX_AGE_ADJUSTMENT_SECONDS, description="Seconds added to its routing age.")
        ]
        | None
    ) = Field(default=None, alias="ageSeconds")

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.priority is None) == (self.age_seconds is None):
            raise ValueError("`inQueue` names exactly one of `priority` or `ageSeconds`")
        return self

    def target(self) -> Target:
        return Target.in_queue(priority=self.priority, age_seconds=self.age_seconds)


class RuleTarget(_Strict):
    queue: QueueTarget | None = None
    agent: AgentTarget | None = None
    in_queue: InQueueTarget | None = Field(default=None, alias="inQueue")

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if [self.queue, self.agent, self.in_queue].count(None) != 2:
            raise ValueError("a target names exactly one of `queue`, `agent` or `inQueue`")
        return self


class Match(_Strict):
    """Every listed condition must hold; a missing or empty list matches anything."""

    reasons: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)
    queues: list[Id] = Field(default_factory=list, description="The contact's current queue.")
    levels: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list)

    def holds(self, reason: str, contact: Contact, level: int) -> bool:
        return (
            _listed(reason, self.reasons)
            and _listed(contact.channel, [c.upper() for c in self.channels])
            and _listed(contact.queue_id, self.queues)
            and (not self.levels or level in self.levels)
        )


class ExplicitTargets(_Strict):
    """Which targets an agent may pick by hand for the rule's reasons ("*" allows any)."""

    queue_ids: list[Id] = Field(default_factory=list, alias="queueIds")
    queue_flow_id: Id | None = Field(default=None, alias="queueFlowId")
    user_ids: list[Id] = Field(default_factory=list, alias="userIds")
    agent_flow_id: Id | None = Field(default=None, alias="agentFlowId")

    @model_validator(mode="after")
    def _flows_for_allowed_kinds(self) -> Self:
        if self.queue_ids and not self.queue_flow_id:
            raise ValueError("`queueIds` needs `queueFlowId`")
        if self.user_ids and not self.agent_flow_id:
            raise ValueError("`userIds` needs `agentFlowId`")
        return self


class Rule(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=128)]
    match: Match = Field(default_factory=Match)
    target: RuleTarget
    explicit_targets: ExplicitTargets | None = Field(default=None, alias="explicitTargets")


ReasonCode = Annotated[str, Field(min_length=1, max_length=128)]


class ReasonEntry(_Strict):
    """One reason of the catalogue: what the desktop sends (`code`) and what it shows (`label`)."""

    code: ReasonCode
    label: Annotated[str, Field(min_length=1, max_length=256)]


class RoutingRules(_Strict):
    version: int = Field(default=1, ge=1, le=1)
    rules: list[Rule] = Field(min_length=1)
    # SLA timers' policies (domain/sla_policy.py): the first that matches sets a queued contact's deadline.
    sla: list[SlaPolicy] = Field(default_factory=list)
    # The reasons the desktop offers. When present, the API refuses any other reason (UNKNOWN_REASON);
    # events are not checked against it (a breach's reason comes from its producer).
    reasons: list[ReasonEntry] | None = None

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        _check_unique("rule", [rule.name for rule in self.rules])
        _check_unique("SLA policy", [policy.name for policy in self.sla])
        _check_unique("reason", [entry.code for entry in self.reasons or ()])
        return self

    def check_timed_channels(self, timed_channels: frozenset[str]) -> None:
        """Raise RoutingRulesError when an SLA policy names a channel the deployment does not time."""
        for number, policy in enumerate(self.sla, start=1):
            untimed = policy.untimed_channels(timed_channels)
            if untimed:
                timed = ",".join(sorted(timed_channels))
                raise RoutingRulesError(
                    f"invalid routing rules: SLA policy #{number} {policy.name!r}: match.channels: "
                    f"{', '.join(untimed)} is not timed by this deployment (timed: {timed}); deploy with "
                    f"-c {TIMED_CHANNELS_CONTEXT}={timed},{','.join(untimed)} to time it"
                )

    def check_reason(self, reason: str) -> None:
        """Refuse a reason outside the catalogue (UNKNOWN_REASON); without a catalogue, any reason goes."""
        if self.reasons is not None and all(entry.code != reason for entry in self.reasons):
            raise EscalationRefused(
                Refusal.UNKNOWN_REASON,
                f"reason {reason!r} is not in the routing rules' reasons catalogue",
            )

    def offered_reasons(self) -> list[tuple[str, str]]:
        """(code, label) of the reasons a desktop offers: the catalogue, or without one the reasons the
        rules name explicitly (each labelled with its code), in document order."""
        if self.reasons is not None:
            return [(entry.code, entry.label) for entry in self.reasons]
        named = dict.fromkeys(r for rule in self.rules for r in rule.match.reasons if r != ANY)
        return [(code, code) for code in named]

    def find(self, reason: str, contact: Contact, level: int) -> Rule:
        for rule in self.rules:
            if rule.match.holds(reason, contact, level):
                return rule
        raise EscalationRefused(
            Refusal.NO_ROUTE,
            f"no routing rule matches reason {reason!r}, channel {contact.channel}, level {level}",
        )


def _check_unique(kind: str, names: list[str]) -> None:
    first_seen: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        if name in first_seen:
            raise ValueError(
                f"{kind} #{number} {name!r}: {kind} names must be unique; "
                f"{kind} #{first_seen[name]} has the same name"
            )
        first_seen[name] = number


class RoutingRulesError(ValueError):
    """The rules document is invalid; the message names the rule and the field."""


def _listed(value: str | None, allowed: Sequence[str]) -> bool:
    return not allowed or ANY in allowed or (value is not None and value in allowed)


def parse_rules(document: str | bytes) -> RoutingRules:
    """Parse and validate a rules document, or raise RoutingRulesError naming what is wrong."""
    try:
        raw: Any = json.loads(document)
    except ValueError as error:  # JSONDecodeError, and UnicodeDecodeError for bytes that are not UTF-8
        raise RoutingRulesError(f"routing rules are not valid JSON: {error}") from error
    try:
        return RoutingRules.model_validate(raw)
    except ValidationError as error:
        raise RoutingRulesError(_describe(error, raw)) from error


def _describe(error: ValidationError, raw: Any) -> str:
    problems = []
    for detail in error.errors(include_url=False, include_input=False):
        location = list(detail["loc"])
        where = "rules document"
        if len(location) >= 2 and location[0] in _KINDS and isinstance(location[1], int):
            index = location[1]
            name = _item_name(raw, str(location[0]), index)
            where = f"{_KINDS[str(location[0])]} #{index + 1}" + (f" {name!r}" if name else "")
            location = location[2:]
        field = ".".join(str(part) for part in location) or "(whole rule)"
        problems.append(f"{where}: {field}: {detail['msg']}")
    return "invalid routing rules: " + "; ".join(problems)


_KINDS = {"rules": "rule", "sla": "SLA policy", "reasons": "reason"}


def _item_name(raw: Any, collection: str, index: int) -> str | None:
    try:
        name = raw[collection][index]["code" if collection == "reasons" else "name"]
    except (KeyError, IndexError, TypeError):
        return None
    return name if isinstance(name, str) else None


def local_target(requested: RequestedTarget | None, instance_arn: str | None) -> RequestedTarget | None:
    """The explicit choice with ARNs turned into ids: only this instance's queue or agent ARN is accepted.

    Connect reads the last path segment of an ARN, so another instance's ARN would otherwise move the
    contact to whatever this instance has under the same id.
    """
    if requested is None:
        return None

    def local_id(value: str | None, kind: str) -> str | None:
        if value is None or not value.startswith("arn:"):
            return value
        prefix = f"{instance_arn}/{kind}/"
        if instance_arn is None or not value.startswith(prefix) or "/" in value.removeprefix(prefix):
            raise EscalationRefused(
                Refusal.TARGET_NOT_ALLOWED, f"the target ARN is not a {kind} of this Connect instance"
            )
        return value.removeprefix(prefix)

    return RequestedTarget(local_id(requested.queue_id, "queue"), local_id(requested.user_id, "agent"))


def choose_target(rule: Rule, requested: RequestedTarget | None, reason: str) -> tuple[Target, Target | None]:
    """The target (and, for an agent, the fallback queue) for this escalation under `rule`.

    An explicit choice from the agent is used only if the rule allows that target.
    """
    if requested is None:
        if rule.target.queue is not None:
            return rule.target.queue.target(), None
        if rule.target.in_queue is not None:
            return rule.target.in_queue.target(), None
        assert rule.target.agent is not None  # guaranteed by RuleTarget's validator
        agent = rule.target.agent
        return agent.target(), agent.fallback_queue.target() if agent.fallback_queue else None

    allowed = rule.explicit_targets
    refused = EscalationRefused(
        Refusal.TARGET_NOT_ALLOWED, f"the routing rules do not allow this target for reason {reason!r}"
    )
    if allowed is None:
        raise refused
    if requested.queue_id is not None:
        if allowed.queue_flow_id is None or not _listed_strict(requested.queue_id, allowed.queue_ids):
            raise refused
        return Target(TargetType.QUEUE, requested.queue_id, allowed.queue_flow_id), None
    if requested.user_id is not None:
        if allowed.agent_flow_id is None or not _listed_strict(requested.user_id, allowed.user_ids):
            raise refused
        fallback = rule.target.queue.target() if rule.target.queue else None
        if fallback is None and rule.target.agent and rule.target.agent.fallback_queue:
            fallback = rule.target.agent.fallback_queue.target()
        return Target(TargetType.AGENT, requested.user_id, allowed.agent_flow_id), fallback
    raise refused


def _listed_strict(value: str, allowed: Sequence[str]) -> bool:
    """Like _listed, but an empty list allows nothing: explicit choices are opt-in."""
    return ANY in allowed or value in allowed
