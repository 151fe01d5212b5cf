"""The escalation ledger in DynamoDB (the EscalationLedger port).

One item per escalation: partition key the chain's initial contact id, sort key the escalation id,
and a global secondary index on the escalation id for reads by id. Items expire through TTL after the
configured retention.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from escalation.contract import (
    LEDGER_ESCALATION_INDEX,
    LEDGER_PARTITION_KEY,
    LEDGER_SORT_KEY,
    LEDGER_TTL_ATTRIBUTE,
)
from escalation.domain.errors import LedgerUnavailable
from escalation.domain.ledger import LedgerEntry

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(entry: LedgerEntry, retention: timedelta) -> dict[str, "AttributeValueTypeDef"]:
    data: dict[str, Any] = entry.to_dict()
    expires_at = datetime.fromisoformat(entry.created_at) + retention
    data[LEDGER_TTL_ATTRIBUTE] = int(expires_at.timestamp())
    return {name: _serializer.serialize(value) for name, value in data.items()}


def from_item(item: dict[str, Any]) -> LedgerEntry:
    return LedgerEntry.from_dict({name: _deserializer.deserialize(value) for name, value in item.items()})


class DynamoDbLedger:
    def __init__(self, client: "DynamoDBClient", table_name: str, retention_days: int) -> None:
        self._client = client
        self._table = table_name
        self._retention = timedelta(days=retention_days)

    def chain(self, chain_id: str) -> list[LedgerEntry]:
        try:
            pages = self._client.get_paginator("query").paginate(
                TableName=self._table,
                KeyConditionExpression="#chain = :chain",
                ExpressionAttributeNames={"#chain": LEDGER_PARTITION_KEY},
                ExpressionAttributeValues={":chain": {"S": chain_id}},
                ConsistentRead=True,  # a count read right after a transfer must see it
            )
            return [from_item(item) for page in pages for item in page.get("Items", [])]
        except (ClientError, BotoCoreError) as error:
            raise LedgerUnavailable(f"reading the ledger of a chain failed: {error}") from error

    def get(self, escalation_id: str) -> LedgerEntry | None:
        try:
            page = self._client.query(
                TableName=self._table,
                IndexName=LEDGER_ESCALATION_INDEX,
                KeyConditionExpression="#id = :id",
                ExpressionAttributeNames={"#id": LEDGER_SORT_KEY},
                ExpressionAttributeValues={":id": {"S": escalation_id}},
                Limit=1,
            )
        except (ClientError, BotoCoreError) as error:
            raise LedgerUnavailable(f"reading a ledger entry failed: {error}") from error
        items = page.get("Items", [])
        return from_item(items[0]) if items else None

    def save(self, entry: LedgerEntry) -> None:
        try:
            self._client.put_item(TableName=self._table, Item=to_item(entry, self._retention))
        except (ClientError, BotoCoreError) as error:
            raise LedgerUnavailable(f"writing a ledger entry failed: {error}") from error
