"""The escalation use case: pure Python over ports (no boto3), shared by both triggers."""

from collections.abc import Callable
from dataclasses import dataclass

from escalation.domain.authorization import FORBIDDEN_MESSAGE, authorize, is_supervisor
from escalation.domain.errors import ConnectCallFailed, EscalationRefused, IdempotencyKeyReused
from escalation.domain.identity import client_token
from escalation.domain.model import (
    FINGERPRINT_KEY,
    Contact,
    ContactAttribute,
    EscalationRequest,
    EscalationResult,
    Status,
    Target,
    TargetType,
    Trigger,
)
from escalation.domain.policy import Failure, Refusal
from escalation.domain.preflight import check_transferable
from escalation.domain.routing import RoutingRules, choose_target, local_target
from escalation.ports import ContactCenter, IdempotentRunner


@dataclass(frozen=True)
class _Plan:
    target: Target
    level: int
    fell_back: bool
    resuming: bool


class EscalationService:
    def __init__(
        self,
        contact_center: ContactCenter,
        routing_rules: Callable[[], RoutingRules],
        idempotency: IdempotentRunner,
        supervisor_group: str,
    ) -> None:
        self._connect = contact_center
        self._routing_rules = routing_rules
        self._idempotency = idempotency
        self._supervisor_group = supervisor_group

    def escalate(self, request: EscalationRequest) -> EscalationResult:
        """Escalate once per escalation id; a repeat answers the first result.

        Raises EscalationRefused, ConnectCallFailed, EscalationInProgress or IdempotencyStoreUnavailable
        (none of them is remembered, so a later retry runs again), or IdempotencyKeyReused when the
        request's key first came with another request.
        """
        known_contact: Contact | None = None
        if request.trigger is Trigger.API:
            # Checked on every request, repeats included: the stored result is only for callers who
            # may escalate this contact.
            try:
                known_contact = self._describe(request.contact_id)
            except EscalationRefused as refused:
                # Only a supervisor learns whether a contact exists; anyone else gets the answer they
                # would get for an existing contact that is not theirs.
                if refused.reason is Refusal.CONTACT_NOT_FOUND and not is_supervisor(
                    request.caller, self._supervisor_group
                ):
                    raise EscalationRefused(Refusal.FORBIDDEN, FORBIDDEN_MESSAGE) from None
                raise
            authorize(request.caller, known_contact, self._supervisor_group)
        first_result = self._idempotency.run(
            request.escalation_id,
            lambda: {
                **self._escalate_once(request, known_contact).to_dict(),
                FINGERPRINT_KEY: request.fingerprint,
            },
        )
        stored_fingerprint = first_result.get(FINGERPRINT_KEY)
        if request.fingerprint and stored_fingerprint and stored_fingerprint != request.fingerprint:
            raise IdempotencyKeyReused("this Idempotency-Key was first used for a different request")
        return EscalationResult.from_dict(first_result)

    def _escalate_once(self, request: EscalationRequest, known_contact: Contact | None) -> EscalationResult:
        contact = known_contact or self._describe(request.contact_id)
        resuming = contact.last_escalation_id == request.escalation_id
        try:
            check_transferable(contact, resuming=resuming)
        except EscalationRefused as refusal:
            if refusal.reason is Refusal.CONTACT_ENDED and request.trigger is Trigger.EVENT:
                return self._skipped(request, contact)
            raise

        # A retry of this very escalation keeps the level its first attempt recorded.
        level = contact.escalation_level if resuming else contact.escalation_level + 1
        rule = self._routing_rules().find(request.reason, contact, level)
        requested = local_target(request.requested_target, contact.instance_arn)
        target, fallback = choose_target(rule, requested, request.reason)
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

        if not resuming:
            # Written before the transfer: the new contact inherits them, and a retry after a crash
            # between transfer and bookkeeping recognises its own escalation (see check_transferable).
            self._connect.update_attributes(contact.contact_id, self._attributes(request, contact, level))
        return self._transfer(request, contact, _Plan(target, level, fell_back, resuming))

    def _describe(self, contact_id: str) -> Contact:
        try:
            return self._connect.describe_contact(contact_id)
        except ConnectCallFailed as failure:
            if failure.kind in (Failure.CONTACT_NOT_FOUND, Failure.TARGET_NOT_FOUND):
                raise EscalationRefused(
                    Refusal.CONTACT_NOT_FOUND, "no such contact in the configured Connect instance"
                ) from failure
            raise

    def _transfer(self, request: EscalationRequest, contact: Contact, plan: _Plan) -> EscalationResult:
        try:
            receipt = self._connect.transfer(
                contact.contact_id, plan.target, client_token(request.escalation_id)
            )
        except ConnectCallFailed as failure:
            if failure.kind is Failure.IDEMPOTENCY_CONFLICT:
                return EscalationResult(
                    request.escalation_id,
                    Status.ALREADY_TRANSFERRED,
                    contact.contact_id,
                    plan.level,
                    plan.target,
                    fell_back_to_queue=plan.fell_back,
                )
            if failure.kind is Failure.INVALID_REQUEST and (contact.ended or self._has_ended(contact)):
                # The contact ended after our check (another escalation moved it, an agent closed it),
                # or, when resuming, our earlier attempt never took effect: there is nothing to move.
                if request.trigger is Trigger.EVENT:
                    return self._skipped(request, contact)
                raise EscalationRefused(Refusal.CONTACT_ENDED, "the contact has ended") from failure
            raise
        return EscalationResult(
            escalation_id=request.escalation_id,
            status=Status.TRANSFERRED,
            contact_id=contact.contact_id,
            level=plan.level,
            target=plan.target,
            new_contact_id=receipt.new_contact_id,
            new_contact_arn=receipt.new_contact_arn,
            fell_back_to_queue=plan.fell_back,
        )

    def _has_ended(self, contact: Contact) -> bool:
        try:
            return self._connect.describe_contact(contact.contact_id).ended
        except ConnectCallFailed:
            return False  # keep the original failure: we could not learn more

    @staticmethod
    def _skipped(request: EscalationRequest, contact: Contact) -> EscalationResult:
        return EscalationResult(
            request.escalation_id, Status.SKIPPED, contact.contact_id, contact.escalation_level
        )

    @staticmethod
    def _attributes(request: EscalationRequest, contact: Contact, level: int) -> dict[str, str]:
        attributes = {
            ContactAttribute.LEVEL: str(level),
            ContactAttribute.REASON: request.reason,
            ContactAttribute.ESCALATION_ID: request.escalation_id,
            ContactAttribute.TRANSFER_COUNT: str(contact.transfer_count + 1),
            ContactAttribute.TRIGGER: request.trigger.value,
        }
        if request.note:
            attributes[ContactAttribute.NOTE] = request.note
        return attributes
