"""An API escalation as a dead-letter record keeps it: the validated request and its authorised
requester, so that a redrive replays exactly that (triggers/redrive_event.py), never an HTTP event."""

from typing import Any

from escalation.domain.model import EscalationRequest


def recorded_request(request: EscalationRequest) -> dict[str, Any]:
    target = request.requested_target
    caller = request.caller
    return {
        "escalationId": request.escalation_id,
        "contactId": request.contact_id,
        "reason": request.reason,
        "target": {"queueId": target.queue_id, "userId": target.user_id} if target else None,
        "note": request.note,
        "fingerprint": request.fingerprint,
        "requester": {
            "username": caller.username,
            "groups": sorted(caller.groups),
            "connectUserId": caller.connect_user_id,
        }
        if caller
        else None,
    }
