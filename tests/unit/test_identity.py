"""Escalation ids: the same escalation always gets the same id (and so the same ClientToken)."""

import uuid

from escalation.domain.identity import client_token, escalation_id

INSTANCE = "11111111-2222-3333-4444-555555555555"


def test_the_same_escalation_gets_the_same_id() -> None:
    assert escalation_id(INSTANCE, "c-1", "LATE") == escalation_id(INSTANCE, "c-1", "LATE")


def test_the_id_is_reproducible_across_processes_and_deployments() -> None:
    # A fixed namespace: a redelivered event in another execution environment computes this same value.
    assert escalation_id(INSTANCE, "c-1", "LATE") == str(
        uuid.uuid5(uuid.UUID("6f1f0b7e-3c5a-5d7e-9a41-2b8c7e0d4a10"), f"{INSTANCE}\nc-1\nreason:LATE")
    )


def test_each_part_of_the_identity_changes_the_id() -> None:
    ids = {
        escalation_id(INSTANCE, "c-1", "LATE"),
        escalation_id(INSTANCE, "c-2", "LATE"),
        escalation_id(INSTANCE, "c-1", "VIP"),
        escalation_id("other-instance", "c-1", "LATE"),
    }
    assert len(ids) == 4


def test_an_idempotency_key_replaces_the_reason() -> None:
    keyed = escalation_id(INSTANCE, "c-1", "LATE", "click-42")
    assert keyed == escalation_id(INSTANCE, "c-1", "A DIFFERENT REASON", "click-42")
    assert keyed != escalation_id(INSTANCE, "c-1", "LATE")
    assert keyed != escalation_id(INSTANCE, "c-1", "LATE", "click-43")
    assert keyed != escalation_id(INSTANCE, "c-2", "LATE", "click-42")


def test_an_empty_key_means_no_key() -> None:
    assert escalation_id(INSTANCE, "c-1", "LATE", "") == escalation_id(INSTANCE, "c-1", "LATE")


def test_a_key_cannot_collide_with_a_reason() -> None:
    # "key:" and "reason:" prefixes keep a key that looks like a reason from sharing its id.
    assert escalation_id(INSTANCE, "c-1", "x", "LATE") != escalation_id(INSTANCE, "c-1", "LATE")


def test_the_client_token_is_the_escalation_id_and_fits_connects_limit() -> None:
    token = client_token(escalation_id(INSTANCE, "c" * 256, "r" * 128, "k" * 256))
    assert token == escalation_id(INSTANCE, "c" * 256, "r" * 128, "k" * 256)
    assert len(token) <= 500
