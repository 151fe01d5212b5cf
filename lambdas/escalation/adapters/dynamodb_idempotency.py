"""Idempotency records in DynamoDB, through Powertools' idempotency utility (the IdempotentRunner port).

Powertools stores an INPROGRESS record before the operation and the result after it; a repeat with the
same key answers the stored result, a concurrent one is told the escalation is in progress, and a
failure deletes the record so a retry runs again. When only storing the result fails, the result is
still the answer (logged at ERROR, metric ResultNotStored): the operation ran.
"""

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.idempotency.serialization.custom_dict import CustomDictSerializer
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from escalation import observability
from escalation.contract import Metric
from escalation.domain.errors import EscalationInProgress, IdempotencyStoreUnavailable
from escalation.domain.model import EscalationResult

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# How long a finished escalation answers repeats; Connect's own token memory is undocumented for
# TransferContact (other Connect APIs: 7 days), so the record is what dedupes a late redelivery.
RECORD_TTL_SECONDS = 7 * 24 * 3600


# The stored record is the result's JSON form with the request's fingerprint beside it.
FINGERPRINT_KEY = "_fingerprint"


def _record(result: EscalationResult) -> dict[str, Any]:
    return {**result.to_dict(), FINGERPRINT_KEY: result.fingerprint}


def _first_result(record: dict[str, Any]) -> EscalationResult:
    return replace(EscalationResult.from_dict(record), fingerprint=record.get(FINGERPRINT_KEY))


# The result is serialised here once, when Powertools stores it, and read back only for a repeat.
_SERIALIZER = CustomDictSerializer(to_dict=_record, from_dict=_first_result)


def _mark_replayed(response: Any, idempotent_data: DataRecord) -> Any:  # noqa: ARG001 - hook signature
    # Called only when Powertools answers from a stored record: tell the caller it is a repeat.
    return replace(response, replayed=True) if isinstance(response, EscalationResult) else response


_config = IdempotencyConfig(
    event_key_jmespath="escalationId",
    expires_after_seconds=RECORD_TTL_SECONDS,
    response_hook=_mark_replayed,
)


# The idempotency table's client: a short budget, since the API waits for it.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=1, read_timeout=2
)


class DynamoDbIdempotency:
    def __init__(self, client: "DynamoDBClient", table_name: str) -> None:
        self.persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)
        self._run_once: Callable[..., EscalationResult] | None = None

    def register_lambda_context(self, context: LambdaContext) -> None:
        # Lets Powertools expire an INPROGRESS record when the invocation that wrote it timed out.
        _config.register_lambda_context(context)

    def _decorated(self) -> Callable[..., EscalationResult]:
        if self._run_once is None:

            def run_once(
                payload: dict[str, str],  # noqa: ARG001 - Powertools hashes it into the record's key
                operation: Callable[[], EscalationResult],
            ) -> EscalationResult:
                return operation()

            self._run_once = idempotent_function(
                run_once,
                data_keyword_argument="payload",
                persistence_store=self.persistence,
                config=_config,
                output_serializer=_SERIALIZER,
            )
        return self._run_once

    def run(self, key: str, operation: Callable[[], EscalationResult]) -> EscalationResult:
        finished: list[EscalationResult] = []

        def noting_its_result() -> EscalationResult:
            finished.append(operation())
            return finished[0]

        payload = {"escalationId": key}
        try:
            result: EscalationResult = self._decorated()(payload=payload, operation=noting_its_result)
        except IdempotencyAlreadyInProgressError as error:
            raise EscalationInProgress(str(error)) from error
        except IdempotencyPersistenceLayerError as error:
            if finished:
                # The operation ran (a transfer may have taken effect): its result is the answer, never
                # "nothing happened". Only keeping it for repeats failed.
                self._not_stored(payload, error)
                return finished[0]
            raise IdempotencyStoreUnavailable(str(error)) from error
        return result

    def _not_stored(self, payload: dict[str, str], error: Exception) -> None:
        observability.count(Metric.RESULT_NOT_STORED)
        observability.logger.error(
            "Result not stored in the idempotency store; answered anyway",
            extra={"escalation_id": payload["escalationId"], "why": str(error)[:500]},
        )
        try:
            # Without its INPROGRESS record a repeat runs again and answers from the ledger; with it, a
            # repeat is told the escalation is in progress until the record's in-progress time ends.
            self.persistence.delete_record(data=payload, exception=error)
        except Exception as cleanup:  # whatever the store raises, the answer stands
            observability.logger.warning("In-progress record not cleared", extra={"why": str(cleanup)[:500]})
