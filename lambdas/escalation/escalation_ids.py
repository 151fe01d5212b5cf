"""The stack's escalation ids (domain/identity.py), keyed with a secret no caller can compute.

The secret is the KMS MAC of a fixed label with the stack's HMAC key, which only the function's role may
use to make MACs: the same secret in every execution environment, so ids stay stable, fetched once per
environment on the first id it computes.
"""

from threading import Lock

from escalation.dead_letter_signing import MacUnavailable
from escalation.domain.errors import IdempotencyStoreUnavailable
from escalation.domain.identity import ID_SECRET_LABEL, escalation_id
from escalation.ports import MessageAuthenticator


class EscalationIds:
    def __init__(self, authenticator: MessageAuthenticator, instance_id: str) -> None:
        self._authenticator = authenticator
        self._instance_id = instance_id
        self._secret: bytes | None = None
        self._lock = Lock()

    def _key(self) -> bytes:
        with self._lock:
            if self._secret is None:
                try:
                    self._secret = self._authenticator.mac(ID_SECRET_LABEL)
                except MacUnavailable as error:
                    # Nothing can run without its id; answered like the idempotency store being down.
                    raise IdempotencyStoreUnavailable(
                        f"the escalation id key is unavailable: {error}"
                    ) from error
            return self._secret

    def of(self, contact_id: str, reason: str, idempotency_key: str | None = None) -> str:
        return escalation_id(self._key(), self._instance_id, contact_id, reason, idempotency_key)
