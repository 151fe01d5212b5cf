"""Escalation ids: the same escalation always gets the same id (and so the same ClientToken), and no
one without the stack's secret can compute it."""

import uuid

from hypothesis import given
from hypothesis import strategies as st

from escalation.domain.identity import client_token, escalation_id

INSTANCE = "11111111-2222-3333-4444-555555555555"
SECRET = b"\x07" * 32


def eid(contact: str, reason: str, key: str | None = None, *, instance: str = INSTANCE) -> str:
    return escalation_id(SECRET, instance, contact, reason, key)


def test_the_same_escalation_gets_the_same_id() -> None:
    assert eid("c-1", "LATE") == eid("c-1", "LATE")
    assert uuid.UUID(eid("c-1", "LATE")).version == 5


def test_the_id_is_not_the_unkeyed_uuid5_a_caller_could_compute() -> None:
    # What ids used to be: a fixed namespace over instance, contact and reason, all known to an agent.
    derivable = uuid.uuid5(uuid.UUID("6f1f0b7e-3c5a-5d7e-9a41-2b8c7e0d4a10"), f"{INSTANCE}\nc-1\nreason:LATE")
    assert eid("c-1", "LATE") != str(derivable)


@given(st.binary(min_size=1, max_size=64), st.binary(min_size=1, max_size=64))
def test_another_secret_gives_other_ids(one: bytes, other: bytes) -> None:
    if one != other:
        assert escalation_id(one, INSTANCE, "c-1", "LATE") != escalation_id(other, INSTANCE, "c-1", "LATE")


def test_each_part_of_the_identity_changes_the_id() -> None:
    ids = {eid("c-1", "LATE"), eid("c-2", "LATE"), eid("c-1", "VIP"), eid("c-1", "LATE", instance="other")}
    assert len(ids) == 4


def test_an_idempotency_key_replaces_the_reason() -> None:
    keyed = eid("c-1", "LATE", "click-42")
    assert keyed == eid("c-1", "A DIFFERENT REASON", "click-42")
    assert keyed != eid("c-1", "LATE")
    assert keyed != eid("c-1", "LATE", "click-43")
    assert keyed != eid("c-2", "LATE", "click-42")


def test_an_empty_key_means_no_key() -> None:
    assert eid("c-1", "LATE", "") == eid("c-1", "LATE")


def test_a_key_cannot_collide_with_a_reason() -> None:
    # "key:" and "reason:" prefixes keep a key that looks like a reason from sharing its id.
    assert eid("c-1", "x", "LATE") != eid("c-1", "LATE")


def test_a_lone_surrogate_is_hashed_not_refused() -> None:
    assert eid("c-\udc80", "LATE") != eid("c-", "LATE")


def test_the_client_token_is_the_escalation_id_and_fits_connects_limit() -> None:
    token = client_token(eid("c" * 256, "r" * 128, "k" * 256))
    assert token == eid("c" * 256, "r" * 128, "k" * 256)
    assert len(token) <= 500
