"""The alert topic (SNS): a structured message for a person who must act."""

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from escalation.domain.errors import AlertNotPublished

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

_SNS_SUBJECT_LIMIT = 100


class SnsAlerts:
    def __init__(self, client: Callable[[], "SNSClient"], topic_arn: str) -> None:
        # A factory: most environments never alert, so the client is built on the first publish.
        self._client = client
        self._topic_arn = topic_arn

    def publish(self, subject: str, alert: Mapping[str, Any]) -> None:
        try:
            self._publish(subject, alert)
        except (BotoCoreError, ClientError) as error:
            raise AlertNotPublished(str(error)) from error

    def _publish(self, subject: str, alert: Mapping[str, Any]) -> None:
        self._client().publish(
            TopicArn=self._topic_arn,
            Subject=subject[:_SNS_SUBJECT_LIMIT],
            Message=json.dumps(alert, default=str, indent=2),
            MessageAttributes={
                "errorCode": {"DataType": "String", "StringValue": str(alert.get("errorCode", "UNKNOWN"))},
            },
        )
