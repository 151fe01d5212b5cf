"""Stable escalation ids: the same escalation always gets the same id, and so the same ClientToken.

A transfer ends the contact it moves and opens the next contact of the chain, so a contact id is
escalated at most once: contact + reason identifies one step of the escalation ladder. A retried
invocation, a redelivered event or a double click therefore computes the same id, the idempotency
record dedupes it, and Connect dedupes the ClientToken derived from it if the record was lost.

The id is keyed with a secret of the stack (escalation_ids.py: a KMS MAC only the function can make),
so that no caller can compute it: knowing an id says nothing about which contact was escalated for
what. Every execution environment of the stack derives the same secret, so the same escalation still
gets the same id everywhere.
"""

import hashlib
import hmac
import json
import uuid

_NAMESPACE = uuid.UUID("6f1f0b7e-3c5a-5d7e-9a41-2b8c7e0d4a10")
# What the stack's id secret is the MAC of (the label keeps it apart from any record's MAC).
ID_SECRET_LABEL = b"escalation-id-secret/v1"


# The longest Idempotency-Key accepted; the whole key is hashed into the escalation id, never cut.
MAX_IDEMPOTENCY_KEY_LENGTH = 255


def request_fingerprint(
    contact_id: str, reason: str, queue_id: str | None, user_id: str | None, note: str | None
) -> str:
    """What a request asks for, hashed: an Idempotency-Key answers repeats of one fingerprint only."""
    asked = [contact_id, reason, queue_id, user_id, note]
    return hashlib.sha256(json.dumps(asked, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()


def escalation_id(
    secret: bytes, instance_id: str, contact_id: str, reason: str, idempotency_key: str | None = None
) -> str:
    """The id of an escalation; with an Idempotency-Key header, the caller's key decides instead of reason.

    The whole key is hashed, so two keys that differ anywhere are two escalations; the HMAC with the
    stack's secret makes the id underivable without it.
    """
    discriminator = f"key:{idempotency_key}" if idempotency_key else f"reason:{reason}"
    material = f"{instance_id}\n{contact_id}\n{discriminator}".encode("utf-8", "surrogatepass")
    return str(uuid.uuid5(_NAMESPACE, hmac.new(secret, material, hashlib.sha256).hexdigest()))


def client_token(escalation_id_: str) -> str:
    """TransferContact's ClientToken (≤ 500 chars): the escalation id itself."""
    return escalation_id_
