"""The escalation ledger: one entry per escalation, grouped by contact chain; what counting relies on.

A chain is every contact Connect creates by transferring one initial contact (DescribeContact's
InitialContactId). The level and the transfer count of a chain come from its TRANSFERRED entries
only: an attempt that failed or was refused moved nothing, so it consumes neither.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from escalation.contract import SLA_BREACH_SOURCE
from escalation.domain.model import (
    Caller,
    Contact,
    EscalationRequest,
    QueuePlace,
    Target,
    Trigger,
    target_fields,
    target_from_fields,
)

# Who asked for an escalation that came as an SLA-breach event: the breach event's source.
EVENT_REQUESTER = SLA_BREACH_SOURCE


class LedgerStatus(StrEnum):
    PENDING = "PENDING"  # planned and about to be (or being) transferred
    TRANSFERRED = "TRANSFERRED"  # Connect confirmed the transfer
    FAILED = "FAILED"  # a Connect call failed; nothing is known to have moved
    REFUSED = "REFUSED"  # the service would not transfer (a pre-flight rule or routing)
    SKIPPED = "SKIPPED"  # a breach event for a contact that had already ended (or no longer waited)
    PRIORITIZED = "PRIORITIZED"  # moved up where it waits: a rung of the ladder, not a transfer


class EscalationEvent(StrEnum):
    """The detail-types of the events the service publishes about its escalations."""

    TRANSFERRED = "Escalation Transferred"
    FAILED = "Escalation Failed"  # dead-lettered or alerted
    SKIPPED = "Escalation Skipped"
    PRIORITIZED = "Escalation Prioritized"


@dataclass(frozen=True)
class Attempt:
    at: str  # ISO 8601, UTC
    outcome: str  # a LedgerStatus value
    error_code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "outcome": self.outcome, "errorCode": self.error_code}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Attempt":
        return cls(str(data["at"]), str(data["outcome"]), data.get("errorCode"))


@dataclass(frozen=True)
class LedgerEntry:
    chain_id: str
    escalation_id: str
    contact_id: str
    trigger: Trigger
    reason: str
    requester: str
    status: LedgerStatus
    created_at: str
    updated_at: str
    level: int | None = None
    target: Target | None = None
    fell_back: bool = False
    new_contact_id: str | None = None
    attempts: tuple[Attempt, ...] = field(default_factory=tuple)
    note: str | None = None
    # The operator whose redrive (tools.redrive) last replayed it from the DLQ; the requester stays.
    redriven_by: str | None = None
    # An in-queue escalation's contact as it was before the first call (kept while PENDING): a retry
    # compares it with what DescribeContact says now, so an age adjustment is never added twice.
    queue_before: QueuePlace | None = None

    def settled(
        self, status: LedgerStatus, at: datetime, error_code: str | None = None, **changes: Any
    ) -> "LedgerEntry":
        """This entry after one more attempt that ended in `status`."""
        stamp = at.isoformat()
        return replace(
            self,
            status=status,
            updated_at=stamp,
            attempts=(*self.attempts, Attempt(stamp, status.value, error_code)),
            **changes,
        )

    def to_dict(self) -> dict[str, Any]:
        """The whole entry, note included: what the ledger stores and the GET routes answer."""
        return {
            "chainId": self.chain_id,
            "escalationId": self.escalation_id,
            "contactId": self.contact_id,
            "trigger": self.trigger.value,
            "reason": self.reason,
            "requester": self.requester,
            "status": self.status.value,
            "level": self.level,
            **target_fields(self.target),
            "fellBack": self.fell_back,
            "newContactId": self.new_contact_id,
            "attempts": [attempt.to_dict() for attempt in self.attempts],
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "note": self.note,
            **({"redrivenBy": self.redriven_by} if self.redriven_by else {}),
            "queueBefore": self.queue_before.to_dict() if self.queue_before else None,
        }

    def event_detail(self) -> dict[str, Any]:
        """The entry as published in events: the note is free text for the next agent, not for consumers."""
        detail = self.to_dict()
        del detail["note"]
        return detail

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "LedgerEntry":
        level = data.get("level")
        return cls(
            chain_id=str(data["chainId"]),
            escalation_id=str(data["escalationId"]),
            contact_id=str(data["contactId"]),
            trigger=Trigger(data["trigger"]),
            reason=str(data["reason"]),
            requester=str(data["requester"]),
            status=LedgerStatus(data["status"]),
            created_at=str(data["createdAt"]),
            updated_at=str(data["updatedAt"]),
            level=int(level) if level is not None else None,
            target=target_from_fields(data),
            fell_back=bool(data.get("fellBack")),
            new_contact_id=data.get("newContactId"),
            attempts=tuple(Attempt.from_dict(attempt) for attempt in data.get("attempts") or ()),
            note=data.get("note"),
            redriven_by=data.get("redrivenBy"),
            queue_before=QueuePlace.from_dict(data.get("queueBefore")),
        )


def requester_of(request: EscalationRequest) -> str:
    if request.trigger is Trigger.EVENT or request.caller is None:
        return EVENT_REQUESTER
    return request.caller.username


def new_entry(request: EscalationRequest, contact: Contact, at: datetime) -> LedgerEntry:
    stamp = at.isoformat()
    return LedgerEntry(
        chain_id=contact.initial_contact_id,
        escalation_id=request.escalation_id,
        contact_id=contact.contact_id,
        trigger=request.trigger,
        reason=request.reason,
        requester=requester_of(request),
        status=LedgerStatus.PENDING,
        created_at=stamp,
        updated_at=stamp,
        note=request.note,
        redriven_by=request.redriven_by,
    )


@dataclass(frozen=True)
class ChainHistory:
    """What the ledger knows of one chain, oldest first."""

    chain_id: str
    entries: tuple[LedgerEntry, ...]

    @classmethod
    def of(cls, chain_id: str, entries: Iterable[LedgerEntry]) -> "ChainHistory":
        return cls(
            chain_id, tuple(sorted(entries, key=lambda entry: (entry.created_at, entry.escalation_id)))
        )

    def confirmed(self) -> tuple[LedgerEntry, ...]:
        return tuple(entry for entry in self.entries if entry.status is LedgerStatus.TRANSFERRED)

    @property
    def transfer_count(self) -> int:
        return len(self.confirmed())

    @property
    def level(self) -> int:
        """The chain's current rung: the highest level a confirmed transfer or an in-queue escalation
        reached (0: none yet)."""
        rungs = (e for e in self.entries if e.status in (LedgerStatus.TRANSFERRED, LedgerStatus.PRIORITIZED))
        return max((entry.level or 0 for entry in rungs), default=0)

    def find(self, escalation_id: str) -> LedgerEntry | None:
        return next((entry for entry in self.entries if entry.escalation_id == escalation_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {"chainId": self.chain_id, "escalations": [entry.to_dict() for entry in self.entries]}


def may_read_entry(caller: Caller, entry: LedgerEntry, supervisor_group: str) -> bool:
    """Supervisors read every entry; an agent reads the escalations they asked for themselves."""
    if supervisor_group in caller.groups:
        return True
    return entry.trigger is Trigger.API and entry.requester == caller.username
