"""The idempotency adapter (Powertools on moto's DynamoDB) when the store fails after the operation ran."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from escalation.adapters.dynamodb_idempotency import DynamoDbIdempotency
from escalation.domain.errors import IdempotencyStoreUnavailable
from escalation.domain.model import EscalationResult, Status
from tests.unit.harness import IDEMPOTENCY_TABLE, AwsWorld


class RefusingWrites:
    """A DynamoDB client that refuses the named operations, as a failing table would."""

    def __init__(self, client: Any, refused: set[str]) -> None:
        self._client = client
        self.refused = refused

    def __getattr__(self, name: str) -> Any:
        if name in self.refused:

            def refuse(**_: Any) -> Any:
                raise ClientError({"Error": {"Code": "InternalServerError", "Message": "test"}}, name)

            return refuse
        return getattr(self._client, name)


def test_a_result_that_could_not_be_stored_is_still_the_answer(aws: AwsWorld) -> None:
    client = RefusingWrites(aws.dynamodb, {"update_item"})
    store = DynamoDbIdempotency(client, IDEMPOTENCY_TABLE)  # type: ignore[arg-type]
    ran: list[int] = []

    done = EscalationResult("esc-1", Status.TRANSFERRED, "c-1", 1, new_contact_id="new-1")

    def transfer() -> EscalationResult:
        ran.append(1)
        return done

    assert store.run("esc-1", transfer) == done
    # Its INPROGRESS record was cleared: the retry runs again (and answers from the ledger).
    client.refused.clear()
    assert store.run("esc-1", transfer) == done
    assert len(ran) == 2


def test_a_store_that_fails_before_the_operation_says_nothing_ran(aws: AwsWorld) -> None:
    store = DynamoDbIdempotency(RefusingWrites(aws.dynamodb, {"put_item"}), IDEMPOTENCY_TABLE)  # type: ignore[arg-type]
    ran: list[int] = []
    with pytest.raises(IdempotencyStoreUnavailable):
        store.run("esc-1", lambda: ran.append(1) or EscalationResult("esc-1", Status.TRANSFERRED, "c", 1))  # type: ignore[func-returns-value]
    assert ran == []
