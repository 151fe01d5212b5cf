"""The dead-letter queue (SQS): where an escalation that could not be done waits for a redrive."""

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from escalation.domain.errors import DeadLetterNotWritten

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class SqsDeadLetters:
    def __init__(self, client: Callable[[], "SQSClient"], queue_url: str) -> None:
        # A factory: most environments never dead-letter, so the client is built on the first send.
        self._client = client
        self._queue_url = queue_url

    def send(self, record: Mapping[str, Any]) -> None:
        try:
            self._send(record)
        except (BotoCoreError, ClientError) as error:
            raise DeadLetterNotWritten(str(error)) from error

    def _send(self, record: Mapping[str, Any]) -> None:
        # Attributes let an operator filter the queue without parsing bodies.
        self._client().send_message(
            QueueUrl=self._queue_url,
            MessageBody=json.dumps(record, default=str),
            MessageAttributes={
                "decision": {"DataType": "String", "StringValue": str(record.get("decision", "UNKNOWN"))},
                "errorCode": {"DataType": "String", "StringValue": str(record.get("errorCode", "UNKNOWN"))},
            },
        )
