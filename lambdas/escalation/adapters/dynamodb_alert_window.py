"""Alert de-duplication records in the idempotency table (DynamoDB): one alert per contact chain and
error code within a window, so a chain failing again and again (redrives, retries, new clicks with new
Idempotency-Keys) pages a person once.

The records share the idempotency table under the key prefix `alert#` (Powertools' records are keyed
`<function>#<hash>`) and its TTL attribute. A conditional write claims the alert before it is published;
the claim is confirmed once SNS took the alert, and released when it did not. A claim neither confirmed
nor released (the invocation died between the two) stops holding after CLAIM_STALE_SECONDS, so a lost
release delays the page by that much and never silences it.
"""

import hashlib
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from escalation import observability
from escalation.adapters import aws_errors

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEY_PREFIX = "alert#"
# The idempotency table's TTL attribute (infra/storage.py): DynamoDB deletes expired records itself.
EXPIRATION_ATTRIBUTE = "expiration"
# Longer than a Publish with botocore's retries; shorter than Lambda's first retry of an event (~1 min).
CLAIM_STALE_SECONDS = 30


def window_key(about: str, error_code: str) -> str:
    digest = hashlib.sha256(f"{about}\n{error_code}".encode()).hexdigest()
    return f"{KEY_PREFIX}{digest}"


class DynamoDbAlertWindow:
    def __init__(
        self,
        client: "DynamoDBClient",
        table_name: str,
        window_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._table_name = table_name
        self._window_seconds = window_seconds
        self._clock = clock

    def first_in_window(self, about: str, error_code: str) -> bool:
        """True for the first alert about this chain and error code in the window (it is then claimed).

        When the table cannot be reached the alert is published: a second page beats a missed one.
        """
        if self._window_seconds <= 0:
            return True
        now = int(self._clock())
        # This claim's own mark: a put that took effect but whose answer was lost is retried by
        # botocore and then fails its condition; the item then names this claim, so it is still ours.
        claim = uuid.uuid4().hex
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item={
                    "id": {"S": window_key(about, error_code)},
                    EXPIRATION_ATTRIBUTE: {"N": str(now + self._window_seconds)},
                    "claimedAt": {"N": str(now)},
                    "about": {"S": about},
                    "errorCode": {"S": error_code},
                    "claim": {"S": claim},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                # TTL deletion lags by up to days: an expired record that is still there counts as gone;
                # so does a claim never confirmed (its publisher failed or died).
                ConditionExpression=(
                    "attribute_not_exists(id) OR #expiration < :now"
                    " OR (attribute_not_exists(sentAt) AND claimedAt < :stale)"
                ),
                ExpressionAttributeNames={"#expiration": EXPIRATION_ATTRIBUTE},
                ExpressionAttributeValues={
                    ":now": {"N": str(now)},
                    ":stale": {"N": str(now - CLAIM_STALE_SECONDS)},
                },
            )
        except ClientError as error:
            if aws_errors.error_code(error) == "ConditionalCheckFailedException":
                held: Any = error.response.get("Item", {})
                return bool(held.get("claim", {}).get("S") == claim)
            observability.logger.warning("Alert window unavailable; publishing", extra={"error": str(error)})
            return True
        except BotoCoreError as error:
            observability.logger.warning("Alert window unavailable; publishing", extra={"error": str(error)})
            return True
        return True

    def confirm(self, about: str, error_code: str) -> None:
        if self._window_seconds <= 0:
            return
        try:
            self._client.update_item(
                TableName=self._table_name,
                Key={"id": {"S": window_key(about, error_code)}},
                UpdateExpression="SET sentAt = :now",
                ExpressionAttributeValues={":now": {"N": str(int(self._clock()))}},
            )
        except (BotoCoreError, ClientError) as error:
            # The claim then goes stale: a later failure of this chain may page once more.
            observability.logger.warning(
                "Alert window: sent alert not confirmed", extra={"error": str(error)}
            )

    def release(self, about: str, error_code: str) -> None:
        if self._window_seconds <= 0:
            return
        try:
            self._client.delete_item(
                TableName=self._table_name, Key={"id": {"S": window_key(about, error_code)}}
            )
        except (BotoCoreError, ClientError) as error:
            observability.logger.warning(
                "Alert window: claim not released; it goes stale",
                extra={"error": str(error), "stale_after_seconds": CLAIM_STALE_SECONDS},
            )
