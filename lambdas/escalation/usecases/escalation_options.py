"""What a caller can do for a contact now, for the desktop's form (no boto3, over ports).

Read-only: nothing is transferred, recorded or published. Names come from Connect; a name lookup that
fails leaves the name unknown (None) and never fails the answer.
"""

from collections.abc import Callable

from escalation.domain.errors import ConnectCallFailed
from escalation.domain.ledger import ChainHistory
from escalation.domain.model import Caller, Target, TargetType
from escalation.domain.options import (
    Blocked,
    Destination,
    DestinationType,
    EscalationOptions,
    ReasonOption,
    explicit_targets,
    may_transfer,
    refusal_before_routing,
    refusal_towards,
    refusal_without_route,
    routed_target,
)
from escalation.domain.policy import Refusal, decide_refusal
from escalation.domain.routing import RoutingRules
from escalation.ports import ContactCenter, EscalationLedger, QueueCalendars
from escalation.usecases.contacts import contact_for_caller


class _Names:
    """Queue and agent names from Connect, each looked up once per answer; a failed lookup is None."""

    def __init__(self, contact_center: ContactCenter, queues: QueueCalendars) -> None:
        self._connect = contact_center
        self._queues = queues
        self._known: dict[tuple[DestinationType, str], str | None] = {}

    def of(self, kind: DestinationType, resource_id: str) -> str | None:
        key = (kind, resource_id)
        if key not in self._known:
            try:
                self._known[key] = (
                    self._queues.describe_queue(resource_id).name
                    if kind is DestinationType.QUEUE
                    else self._connect.user_name(resource_id)
                )
            except ConnectCallFailed:
                self._known[key] = None
        return self._known[key]

    def named(self, target: Target) -> Destination:
        plain = Destination.of(target)
        if plain.type is DestinationType.IN_QUEUE:
            return plain  # the contact's own queue: nothing to name
        return Destination(plain.type, plain.id, self.of(plain.type, plain.id))


class EscalationOptionsQuery:
    def __init__(
        self,
        contact_center: ContactCenter,
        queues: QueueCalendars,
        ledger: EscalationLedger,
        routing_rules: Callable[[], RoutingRules],
        supervisor_group: str,
    ) -> None:
        """`queues`: DescribeQueue, for queue names (Connect's adapter implements both ports)."""
        self._connect = contact_center
        self._queues = queues
        self._ledger = ledger
        self._routing_rules = routing_rules
        self._supervisor_group = supervisor_group

    def options(self, caller: Caller, contact_id: str) -> EscalationOptions:
        """Raises EscalationRefused (FORBIDDEN, CONTACT_NOT_FOUND), ConnectCallFailed (DescribeContact)
        or LedgerUnavailable; a caller who may not escalate the contact learns nothing about it."""
        contact = contact_for_caller(self._connect, caller, contact_id, self._supervisor_group)
        history = ChainHistory.of(contact.initial_contact_id, self._ledger.chain(contact.initial_contact_id))
        rules = self._routing_rules()
        names = _Names(self._connect, self._queues)
        # Named first: the contact's own queue is the first name the desktop shows.
        queue = names.named(Target(TargetType.QUEUE, contact.queue_id, "")) if contact.queue_id else None
        before_routing = refusal_before_routing(contact)
        next_level = history.level + 1
        available: dict[str, bool] = {}

        def option(code: str, label: str) -> tuple[ReasonOption, Blocked | None]:
            """The reason with where it goes now, or with no destination and why `POST` would refuse."""
            routed = routed_target(rules, code, contact, next_level)
            if routed is None:
                return ReasonOption(code, label, None), before_routing or refusal_without_route(contact)
            target, fallback = routed
            refused = before_routing or refusal_towards(contact, target, history)
            if refused is not None:
                return ReasonOption(code, label, None), refused
            if target.type is TargetType.AGENT:
                # As POST would decide now: an unavailable agent means the fallback queue, or no route.
                if target.id not in available:
                    available[target.id] = self._is_available(target.id, contact.channel)
                if not available[target.id]:
                    if fallback is None:
                        unavailable = Blocked(
                            decide_refusal(Refusal.AGENT_UNAVAILABLE).api.code,
                            "the target agent is not available and no fallback queue is set",
                        )
                        return ReasonOption(code, label, None), unavailable
                    return ReasonOption(code, label, names.named(fallback)), None
            return ReasonOption(code, label, names.named(target)), None

        offered = rules.offered_reasons()
        judged = [option(code, label) for code, label in offered]
        reasons = tuple(reason for reason, _ in judged)
        refusals = [refused for _, refused in judged]
        # Escalable when some reason can go; otherwise the first refusal (or, without any reason, what
        # POST answers before routing) says why.
        blocked = (
            None
            if any(refused is None for refused in refusals) and refusals
            else next((refused for refused in refusals if refused is not None), None)
            or before_routing
            or refusal_without_route(contact)
        )
        targets = (
            explicit_targets(rules, (code for code, _ in offered), contact, next_level)
            if before_routing is None and may_transfer(contact, history)
            else ()
        )
        return EscalationOptions(
            contact_id=contact.contact_id,
            channel=contact.channel,
            queue=queue,
            level=history.level,
            blocked_by=blocked,
            reasons=reasons,
            targets=tuple(names.named(target) for target in targets),
        )

    def _is_available(self, user_id: str, channel: str) -> bool:
        try:
            return self._connect.is_agent_available(user_id, channel)
        except ConnectCallFailed:
            # A preview only: show the rule's agent; POST checks again and decides.
            return True
