"""The alert topic (SNS): a structured message for a person who must act."""

import json
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

_SNS_SUBJECT_LIMIT = 100


@cache
def _client() -> "SNSClient":
    return boto3.client("sns")


class SnsAlerts:
    def __init__(self, topic_arn: str) -> None:
        self._topic_arn = topic_arn

    def publish(self, subject: str, alert: Mapping[str, Any]) -> None:
        _client().publish(
            TopicArn=self._topic_arn,
            Subject=subject[:_SNS_SUBJECT_LIMIT],
            Message=json.dumps(alert, default=str, indent=2),
            MessageAttributes={
                "errorCode": {"DataType": "String", "StringValue": str(alert.get("errorCode", "UNKNOWN"))},
            },
        )
