"""Alert de-duplication records in the idempotency table (DynamoDB): one alert per escalation and error
code within a window, so an escalation redriven again and again pages a person once.

The records share the idempotency table under the key prefix `alert#` (Powertools' records are keyed
`<function>#<hash>`) and its TTL attribute; a conditional write decides which invocation publishes.
"""

import hashlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from escalation import observability

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEY_PREFIX = "alert#"
# The idempotency table's TTL attribute (infra/storage.py): DynamoDB deletes expired records itself.
EXPIRATION_ATTRIBUTE = "expiration"


def window_key(escalation_id: str, error_code: str) -> str:
    digest = hashlib.sha256(f"{escalation_id}\n{error_code}".encode()).hexdigest()
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

    def first_in_window(self, escalation_id: str, error_code: str) -> bool:
        """True for the first alert of this escalation and error code in the window (it is then noted).

        When the table cannot be reached the alert is published: a second page beats a missed one.
        """
        if self._window_seconds <= 0:
            return True
        now = int(self._clock())
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item={
                    "id": {"S": window_key(escalation_id, error_code)},
                    EXPIRATION_ATTRIBUTE: {"N": str(now + self._window_seconds)},
                    "escalationId": {"S": escalation_id},
                    "errorCode": {"S": error_code},
                },
                # TTL deletion lags by up to days: an expired record that is still there counts as gone.
                ConditionExpression="attribute_not_exists(id) OR #expiration < :now",
                ExpressionAttributeNames={"#expiration": EXPIRATION_ATTRIBUTE},
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            observability.logger.warning("Alert window unavailable; publishing", extra={"error": str(error)})
            return True
        except BotoCoreError as error:
            observability.logger.warning("Alert window unavailable; publishing", extra={"error": str(error)})
            return True
        return True
