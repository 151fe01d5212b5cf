"""What a caller can do for a contact now, for the desktop's form (no boto3, over ports).

Read-only: nothing is transferred, recorded or published. Names come from Connect; a name lookup that
fails leaves the name unknown (None) and never fails the answer.
"""

from collections.abc import Callable

from escalation.domain.authorization import FORBIDDEN_MESSAGE, authorize, is_supervisor
from escalation.domain.errors import ConnectCallFailed, EscalationRefused
from escalation.domain.ledger import ChainHistory
from escalation.domain.model import Caller, Contact, Target, TargetType
from escalation.domain.options import (
    Destination,
    DestinationType,
    EscalationOptions,
    ReasonOption,
    blocked_by,
    explicit_targets,
    routed_target,
)
from escalation.domain.policy import Refusal
from escalation.domain.routing import RoutingRules
from escalation.ports import ContactCenter, EscalationLedger, QueueCalendars
from escalation.usecases.contacts import describe_known_contact


def contact_for_caller(
    contact_center: ContactCenter, caller: Caller, contact_id: str, supervisor_group: str
) -> Contact:
    """The contact, if `caller` may escalate it: its current agent or a supervisor.

    Only a supervisor learns that a contact does not exist (CONTACT_NOT_FOUND); anyone else gets the
    FORBIDDEN they would get for an existing contact that is not theirs.
    """
    try:
        contact = describe_known_contact(contact_center, contact_id)
    except EscalationRefused as refused:
        if refused.reason is Refusal.CONTACT_NOT_FOUND and not is_supervisor(caller, supervisor_group):
            raise EscalationRefused(Refusal.FORBIDDEN, FORBIDDEN_MESSAGE) from None
        raise
    authorize(caller, contact, supervisor_group)
    return contact


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
        next_level = history.level + 1
        offered = rules.offered_reasons()
        routed = {code: routed_target(rules, code, contact, next_level) for code, _ in offered}
        routes = [route for route in routed.values() if route is not None]
        # Escalated where it waits when every reason that routes moves it in place (an `inQueue` rule).
        moves_in_place = bool(routes) and all(not target.transfers for target, _ in routes)
        blocked = blocked_by(contact, history, moves_in_place=moves_in_place)
        available: dict[str, bool] = {}

        def destination(reason: str) -> Destination | None:
            picked = routed[reason]
            if picked is None:
                return None
            target, fallback = picked
            if target.type is TargetType.AGENT and blocked is None:
                # As POST would decide now: an unavailable agent means the fallback queue, or no route.
                if target.id not in available:
                    available[target.id] = self._is_available(target.id, contact.channel)
                if not available[target.id]:
                    return names.named(fallback) if fallback is not None else None
            return names.named(target)

        reasons = tuple(ReasonOption(code, label, destination(code)) for code, label in offered)
        targets = explicit_targets(rules, (code for code, _ in offered), contact, next_level)
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
