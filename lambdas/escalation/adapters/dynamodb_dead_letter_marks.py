"""Marks of the dead-letter records written, in the idempotency table (DynamoDB), key prefix `deadletter#`.

A mark is written once SQS took a record and read before writing one: Lambda's retry of an invocation
whose record was written but whose alert failed finds the mark and writes no second record. A mark
that cannot be read counts as absent (a duplicate record beats a missing one); one that cannot be
written is logged, and a replay would write the record again.
"""

import hashlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from escalation import observability

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEY_PREFIX = "deadletter#"
EXPIRATION_ATTRIBUTE = "expiration"  # the table's TTL attribute
# Lambda keeps retrying an asynchronous event for at most 6 hours; a mark outlives every retry.
MARK_TTL_SECONDS = 24 * 3600


def mark_key(key: str) -> str:
    return KEY_PREFIX + hashlib.sha256(key.encode()).hexdigest()


class DynamoDbDeadLetterMarks:
    def __init__(
        self, client: "DynamoDBClient", table_name: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._client = client
        self._table_name = table_name
        self._clock = clock

    def written(self, key: str) -> bool:
        try:
            item = self._client.get_item(
                TableName=self._table_name, Key={"id": {"S": mark_key(key)}}, ConsistentRead=True
            ).get("Item")
        except (BotoCoreError, ClientError) as error:
            observability.logger.warning(
                "Dead-letter marks unavailable; writing", extra={"error": str(error)}
            )
            return False
        return item is not None

    def note_written(self, key: str) -> None:
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item={
                    "id": {"S": mark_key(key)},
                    EXPIRATION_ATTRIBUTE: {"N": str(int(self._clock()) + MARK_TTL_SECONDS)},
                },
            )
        except (BotoCoreError, ClientError) as error:
            observability.logger.warning(
                "Dead-letter record written but not marked", extra={"error": str(error)}
            )
