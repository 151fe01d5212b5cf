"""The escalation use case: pure Python over ports (no boto3), shared by both triggers."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from escalation.domain.authorization import FORBIDDEN_MESSAGE, authorize, is_supervisor
from escalation.domain.errors import (
    ConnectCallFailed,
    EscalationRefused,
    IdempotencyKeyReused,
    IdempotencyStoreUnavailable,
    LedgerUnavailable,
    TransferNotRecorded,
)
from escalation.domain.identity import client_token
from escalation.domain.ledger import ChainHistory, EscalationEvent, LedgerEntry, LedgerStatus, new_entry
from escalation.domain.model import (
    Contact,
    ContactAttribute,
    EscalationRequest,
    EscalationResult,
    Status,
    Target,
    TargetType,
    Trigger,
)
from escalation.domain.policy import Decision, Failure, Refusal, decide, decide_refusal
from escalation.domain.preflight import check_active, check_channel, check_reachable, check_transferable
from escalation.domain.routing import RoutingRules, choose_target, local_target
from escalation.ports import ContactCenter, EscalationEvents, EscalationLedger, IdempotentRunner
from escalation.usecases.contacts import describe_known_contact, reread
from escalation.usecases.in_queue import MoveOutcome, QueueMover, place_before


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Plan:
    target: Target
    level: int
    fell_back: bool
    resuming: bool


def _is_terminal_failure(failure: ConnectCallFailed) -> bool:
    """A failure the error policy dead-letters or alerts on (not one that is retried)."""
    return decide(failure.kind).decision in (Decision.DEAD_LETTER, Decision.ALERT)


def _is_terminal_refusal(refusal: EscalationRefused, trigger: Trigger) -> bool:
    verdict = decide_refusal(refusal.reason)
    return verdict.alert or (trigger is Trigger.EVENT and verdict.event_decision is not None)


@dataclass(frozen=True)
class EscalationPorts:
    """What the use case talks to: Connect, the routing rules, the idempotency store, the ledger, the bus."""

    contact_center: ContactCenter
    routing_rules: Callable[[], RoutingRules]
    idempotency: IdempotentRunner
    ledger: EscalationLedger
    events: EscalationEvents


class EscalationService:
    def __init__(
        self,
        ports: EscalationPorts,
        supervisor_group: str,
        *,
        on_attributes_failed: Callable[[ConnectCallFailed], None] = lambda _failure: None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        """`on_attributes_failed`: told when the confirmed values could not be written on the contact
        (the transfer stands; the ledger holds the truth)."""
        self._connect = ports.contact_center
        self._routing_rules = ports.routing_rules
        self._idempotency = ports.idempotency
        self._supervisor_group = supervisor_group
        self._ledger = ports.ledger
        self._events = ports.events
        self._on_attributes_failed = on_attributes_failed
        self._mover = QueueMover(ports.contact_center)
        self._clock = clock

    def escalate(self, request: EscalationRequest, contact: Contact | None = None) -> EscalationResult:
        """Escalate once per escalation id; a repeat answers the first result.

        `contact`: the contact as the caller has just read it, so that it is not described again.
        A request `only_while_waiting` whose contact no longer waits in a queue is answered NOT_WAITING,
        with nothing moved or recorded.

        Raises EscalationRefused, ConnectCallFailed, EscalationInProgress, IdempotencyStoreUnavailable
        or LedgerUnavailable (none of them is remembered, so a later retry runs again), or
        IdempotencyKeyReused when the request's key first came with another request.
        """
        known_contact = contact
        if request.only_while_waiting:
            # Checked on every delivery, repeats included: the contact may have left its queue since.
            known_contact = known_contact or self._describe(request.contact_id)
            if not known_contact.is_waiting:
                return EscalationResult(request.escalation_id, Status.NOT_WAITING, request.contact_id, 0)
        if request.trigger is Trigger.API:
            # Checked on every request, repeats included: the stored result is only for callers who
            # may escalate this contact.
            try:
                known_contact = known_contact or self._describe(request.contact_id)
            except EscalationRefused as refused:
                # Only a supervisor learns whether a contact exists; anyone else gets the answer they
                # would get for an existing contact that is not theirs.
                if refused.reason is Refusal.CONTACT_NOT_FOUND and not is_supervisor(
                    request.caller, self._supervisor_group
                ):
                    raise EscalationRefused(Refusal.FORBIDDEN, FORBIDDEN_MESSAGE) from None
                raise
            authorize(request.caller, known_contact, self._supervisor_group)
            # Only the desktop's reasons are checked against the catalogue; a breach names its own.
            self._routing_rules().check_reason(request.reason)
        try:
            first_result = self._idempotency.run(
                request.escalation_id,
                lambda: replace(self._escalate_once(request, known_contact), fingerprint=request.fingerprint),
            )
        except IdempotencyStoreUnavailable:
            confirmed = self._confirmed_in_ledger(request, known_contact)
            if confirmed is None:
                raise
            return confirmed
        stored_fingerprint = first_result.fingerprint
        if request.fingerprint and stored_fingerprint and stored_fingerprint != request.fingerprint:
            raise IdempotencyKeyReused("this Idempotency-Key was first used for a different request")
        return first_result

    def _confirmed_in_ledger(
        self, request: EscalationRequest, known_contact: Contact | None
    ) -> EscalationResult | None:
        """The escalation's confirmed transfer, from the ledger, when the idempotency store is down: an
        answer must not hide a transfer Connect confirmed. None when there is none (or no contact read)."""
        if known_contact is None:
            return None
        try:
            entries = self._ledger.chain(known_contact.initial_contact_id)
        except LedgerUnavailable:
            return None
        own = ChainHistory.of(known_contact.initial_contact_id, entries).find(request.escalation_id)
        if own is not None and own.status is LedgerStatus.PRIORITIZED:
            return replace(self._result(own, Status.PRIORITIZED), replayed=True)
        if own is None or own.status is not LedgerStatus.TRANSFERRED:
            return None
        return _replayed(own)

    def _escalate_once(self, request: EscalationRequest, known_contact: Contact | None) -> EscalationResult:
        contact = known_contact or self._describe(request.contact_id)
        try:
            return self._escalate_contact(request, contact)
        except (EscalationRefused, ConnectCallFailed) as error:
            error.chain_id = contact.initial_contact_id  # alerts about it are per chain
            raise

    def _escalate_contact(self, request: EscalationRequest, contact: Contact) -> EscalationResult:
        history = ChainHistory.of(contact.initial_contact_id, self._ledger.chain(contact.initial_contact_id))
        own = history.find(request.escalation_id)
        if own is not None and own.status is LedgerStatus.TRANSFERRED:
            # The ledger outlives the idempotency record: a late repeat still moves nothing, and answers
            # as the first answer did (the new contact, when Connect named it).
            return _replayed(own)
        if own is not None and own.status is LedgerStatus.PRIORITIZED:
            return self._result(own, Status.PRIORITIZED)
        entry = own or new_entry(request, contact, self._clock())
        if own is not None and request.redriven_by:
            entry = replace(own, redriven_by=request.redriven_by)  # an operator's replay, on the record
        try:
            plan = self._plan(request, contact, history, entry)
        except EscalationRefused as refusal:
            return self._refused(request, entry, history, refusal)
        except ConnectCallFailed as failure:
            self._settle_failed(entry, failure)
            raise
        # Recorded before the transfer: a retry after a crash between the transfer and the bookkeeping
        # finds it and replays the same transfer with the same ClientToken.
        pending = replace(
            entry,
            status=LedgerStatus.PENDING,
            level=plan.level,
            target=plan.target,
            fell_back=plan.fell_back,
            updated_at=self._clock().isoformat(),
            queue_before=place_before(contact, entry, plan.target, resuming=plan.resuming),
        )
        self._ledger.save(pending)
        if plan.target.transfers:
            return self._transfer(request, contact, history, pending, plan)
        return self._move_up(request, contact, history, pending, plan)

    def _refused(
        self, request: EscalationRequest, entry: LedgerEntry, history: ChainHistory, why: EscalationRefused
    ) -> EscalationResult:
        """An event for a contact that ended or stopped waiting is skipped; anything else is refused."""
        if why.reason in _SKIPPED_EVENTS and request.trigger is Trigger.EVENT:
            return self._skipped(entry, history, why.reason)
        self._settle(
            entry, LedgerStatus.REFUSED, why.reason.value, _is_terminal_refusal(why, request.trigger)
        )
        raise why

    def _move_up(
        self,
        request: EscalationRequest,
        contact: Contact,
        history: ChainHistory,
        pending: LedgerEntry,
        plan: _Plan,
    ) -> EscalationResult:
        try:
            move = self._mover.move_up(contact, pending, resuming=plan.resuming)
        except ConnectCallFailed as failure:
            self._settle_failed(pending, failure)
            raise
        if move.outcome is MoveOutcome.NOT_WAITING:
            ended = contact.ended
            reason = Refusal.CONTACT_ENDED if ended else Refusal.CONTACT_NOT_QUEUED
            return self._refused(request, pending, history, EscalationRefused(reason, _NOT_WAITING[reason]))
        code = "ALREADY_AT_PRIORITY" if move.outcome is MoveOutcome.ALREADY_THERE else None
        done = self._settle(pending, LedgerStatus.PRIORITIZED, code, publish=True, target=move.target)
        self._write_attributes(contact.contact_id, done, history.transfer_count)
        return self._result(done, Status.PRIORITIZED)

    def _plan(
        self, request: EscalationRequest, contact: Contact, history: ChainHistory, entry: LedgerEntry
    ) -> _Plan:
        # An unfinished attempt of this very escalation (a crash, or a failure whose effect is unknown)
        # keeps its level and target, so that Connect recognises its ClientToken.
        resuming = (
            entry.status in (LedgerStatus.PENDING, LedgerStatus.FAILED)
            and entry.level is not None
            and entry.target is not None
        )
        if resuming and entry.target is not None and entry.level is not None:
            if entry.target.transfers:
                check_transferable(contact, history.transfer_count, resuming=True)
            # An in-queue attempt is judged against the contact's present in _move_up.
            return _Plan(entry.target, entry.level, entry.fell_back, resuming=True)

        check_active(contact)
        if request.requested_target is not None:
            check_channel(contact)  # an explicit choice is always a transfer
        level = history.level + 1
        try:
            rule = self._routing_rules().find(request.reason, contact, level)
        except EscalationRefused:
            check_channel(contact)  # no rule can move a voice or chat contact: say so, not NO_ROUTE
            raise
        requested = local_target(request.requested_target, contact.instance_arn)
        target, fallback = choose_target(rule, requested, request.reason)
        check_reachable(contact, target, history.transfer_count)
        fell_back = False
        if target.type is TargetType.AGENT and not self._connect.is_agent_available(
            target.id, contact.channel
        ):
            if fallback is None:
                raise EscalationRefused(
                    Refusal.AGENT_UNAVAILABLE,
                    "the target agent is not available and no fallback queue is set",
                )
            target, fell_back = fallback, True
        return _Plan(target, level, fell_back, resuming=False)

    def _describe(self, contact_id: str) -> Contact:
        return describe_known_contact(self._connect, contact_id)

    def _transfer(
        self,
        request: EscalationRequest,
        contact: Contact,
        history: ChainHistory,
        pending: LedgerEntry,
        plan: _Plan,
    ) -> EscalationResult:
        try:
            receipt = self._connect.transfer(
                contact.contact_id, plan.target, client_token(request.escalation_id)
            )
        except ConnectCallFailed as failure:
            if failure.kind is Failure.IDEMPOTENCY_CONFLICT:
                done = self._settle_transferred(pending, failure.error_code, None)
                return self._result(done, Status.ALREADY_TRANSFERRED)
            if failure.kind is Failure.INVALID_REQUEST and (contact.ended or self._has_ended(contact)):
                # The contact ended after our check (another escalation moved it, an agent closed it),
                # or, when resuming, our earlier attempt never took effect: there is nothing to move.
                ended = EscalationRefused(Refusal.CONTACT_ENDED, _NOT_WAITING[Refusal.CONTACT_ENDED])
                return self._refused(request, pending, history, ended)
            self._settle_failed(pending, failure)
            raise
        done = self._settle_transferred(pending, None, receipt.new_contact_id)
        if receipt.new_contact_id:
            self._write_attributes(receipt.new_contact_id, done, history.transfer_count + 1)
        # The ledger keeps the new contact's id; its ARN is only answered.
        return replace(self._result(done, Status.TRANSFERRED), new_contact_arn=receipt.new_contact_arn)

    def _settle(
        self,
        entry: LedgerEntry,
        status: LedgerStatus,
        error_code: str | None,
        publish: bool,
        **changes: Any,
    ) -> LedgerEntry:
        settled = entry.settled(status, self._clock(), error_code, **changes)
        self._ledger.save(settled)
        if publish:
            self._events.publish(_EVENT_OF_STATUS[status], settled)
        return settled

    def _settle_failed(self, entry: LedgerEntry, failure: ConnectCallFailed) -> None:
        """Record a Connect call that failed; the caller raises it again for the error policy."""
        self._settle(entry, LedgerStatus.FAILED, failure.error_code, _is_terminal_failure(failure))

    def _settle_transferred(
        self, pending: LedgerEntry, error_code: str | None, new_contact_id: str | None
    ) -> LedgerEntry:
        """Record a transfer Connect confirmed; a ledger that fails now raises TransferNotRecorded."""
        try:
            return self._settle(
                pending, LedgerStatus.TRANSFERRED, error_code, publish=True, new_contact_id=new_contact_id
            )
        except LedgerUnavailable as error:
            raise TransferNotRecorded(new_contact_id) from error

    def _has_ended(self, contact: Contact) -> bool:
        now = reread(self._connect, contact)
        return now is not None and now.ended

    def _skipped(
        self, entry: LedgerEntry, history: ChainHistory, reason: Refusal = Refusal.CONTACT_ENDED
    ) -> EscalationResult:
        self._settle(entry, LedgerStatus.SKIPPED, reason.value, publish=True)
        return EscalationResult(entry.escalation_id, Status.SKIPPED, entry.contact_id, history.level)

    def _write_attributes(self, contact_id: str, entry: LedgerEntry, transfer_count: int) -> None:
        """The confirmed level and count, on the contact the transfer created, for its agent to see.

        Written only after Connect confirmed the transfer, so a failed attempt leaves no false level.
        """
        attributes = {
            ContactAttribute.LEVEL: str(entry.level),
            ContactAttribute.REASON: entry.reason,
            ContactAttribute.ESCALATION_ID: entry.escalation_id,
            ContactAttribute.TRANSFER_COUNT: str(transfer_count),
            ContactAttribute.TRIGGER: entry.trigger.value,
        }
        if entry.note:
            attributes[ContactAttribute.NOTE] = entry.note
        try:
            self._connect.update_attributes(contact_id, attributes)
        except ConnectCallFailed as failure:
            self._on_attributes_failed(failure)

    @staticmethod
    def _result(entry: LedgerEntry, status: Status) -> EscalationResult:
        return EscalationResult(
            escalation_id=entry.escalation_id,
            status=status,
            contact_id=entry.contact_id,
            level=entry.level or 0,
            target=entry.target,
            new_contact_id=entry.new_contact_id,
            fell_back_to_queue=entry.fell_back,
        )


def _replayed(done: LedgerEntry) -> EscalationResult:
    """A confirmed transfer answered again from the ledger: as first answered, marked as a repeat."""
    status = Status.TRANSFERRED if done.new_contact_id else Status.ALREADY_TRANSFERRED
    return replace(EscalationService._result(done, status), replayed=True)


_EVENT_OF_STATUS = {
    LedgerStatus.TRANSFERRED: EscalationEvent.TRANSFERRED,
    LedgerStatus.FAILED: EscalationEvent.FAILED,
    LedgerStatus.REFUSED: EscalationEvent.FAILED,
    LedgerStatus.SKIPPED: EscalationEvent.SKIPPED,
    LedgerStatus.PRIORITIZED: EscalationEvent.PRIORITIZED,
}
# What an event for a contact that no longer waits becomes: skipped, never dead-lettered.
_SKIPPED_EVENTS = frozenset({Refusal.CONTACT_ENDED, Refusal.CONTACT_NOT_QUEUED})
_NOT_WAITING = {
    Refusal.CONTACT_ENDED: "the contact has ended",
    Refusal.CONTACT_NOT_QUEUED: "the contact is no longer waiting in a queue: an agent has it",
}
