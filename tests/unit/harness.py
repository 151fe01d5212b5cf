"""The handler-test harness: moto's AWS read back as dicts, and a Connect client with a Stubber on it."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import boto3
from botocore.stub import ANY, Stubber
from moto.kms.models import kms_backends

from escalation.adapters.dynamodb_alert_window import KEY_PREFIX as ALERT_WINDOW_KEY_PREFIX
from escalation.adapters.dynamodb_dead_letter_marks import KEY_PREFIX as DEAD_LETTER_MARK_KEY_PREFIX
from escalation.adapters.dynamodb_ledger import from_item, to_item
from escalation.contract import ESCALATION_EVENT_SOURCE, LEDGER_PARTITION_KEY, LEDGER_SORT_KEY
from escalation.domain.identity import ID_SECRET_LABEL, escalation_id
from escalation.domain.ledger import LedgerEntry, LedgerStatus
from escalation.domain.model import ContactAttribute, Trigger
from local.aws import create_ledger_table
from tests.error_table import ErrorRow
from tests.unit.builders import ACCOUNT, CONTACT_ID, INSTANCE_ID, REGION, contact
from tests.unit.fakes import UnreachableTransfers

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef

DLQ_NAME = "escalation-dlq"
TOPIC_NAME = "escalation-alerts"
ALERT_SUBSCRIBER_NAME = "alert-subscriber"
IDEMPOTENCY_TABLE = "escalation-idempotency"
LEDGER_TABLE = "escalation-ledger"
EVENT_BUS = "escalation-bus"
ESCALATION_EVENTS_QUEUE = "escalation-events"
MAC_KEY_ALIAS = "alias/escalation-dead-letters"  # the handler's DEAD_LETTER_MAC_KEY_ID in these tests
# The HMAC key's material, fixed so that tests know the escalation ids the handler derives (the secret
# is the key's HMAC-SHA-256 of the label; test_dead_letter_signing.py checks moto agrees).
TEST_MAC_KEY_MATERIAL = b"unit-test HMAC key material, 32B"
TEST_ID_SECRET = hmac.new(TEST_MAC_KEY_MATERIAL, ID_SECRET_LABEL, hashlib.sha256).digest()


def expected_escalation_id(contact_id: str, reason: str, key: str | None = None) -> str:
    """The id the handler under test gives this escalation (its secret comes from the fixed key)."""
    return escalation_id(TEST_ID_SECRET, INSTANCE_ID, contact_id, reason, key)


class _LevelAndCountOne(dict[str, str]):
    """Equal to any attribute map saying level 1 and transfer count 1 (what one real transfer gives)."""

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, dict)
            and other.get(ContactAttribute.LEVEL) == "1"
            and other.get(ContactAttribute.TRANSFER_COUNT) == "1"
        )

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None


ANY_WITH_LEVEL_AND_COUNT_ONE: dict[str, str] = _LevelAndCountOne()


class AwsWorld:
    """moto's SQS, SNS and DynamoDB, with the DLQ and the alert topic read back as dicts."""

    def __init__(self) -> None:
        self.sqs = boto3.client("sqs", region_name=REGION)
        sns = boto3.client("sns", region_name=REGION)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.dlq_url = self.sqs.create_queue(QueueName=DLQ_NAME)["QueueUrl"]
        self.kms = boto3.client("kms", region_name=REGION)
        self.mac_key_id = self.kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")[
            "KeyMetadata"
        ]["KeyId"]
        self.kms.create_alias(AliasName=MAC_KEY_ALIAS, TargetKeyId=self.mac_key_id)
        kms_backends[ACCOUNT][REGION].keys[self.mac_key_id].key_material = TEST_MAC_KEY_MATERIAL
        self.topic_arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
        self.subscriber_url = self.sqs.create_queue(QueueName=ALERT_SUBSCRIBER_NAME)["QueueUrl"]
        subscriber_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.subscriber_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=subscriber_arn)
        dynamodb.create_table(
            TableName=IDEMPOTENCY_TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.update_time_to_live(
            TableName=IDEMPOTENCY_TABLE,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"},
        )
        create_ledger_table(dynamodb, LEDGER_TABLE)
        self.events = boto3.client("events", region_name=REGION)
        self.events.create_event_bus(Name=EVENT_BUS)
        # A rule of the bus that catches the service's own events into a queue, to read them back.
        self.events_queue_url = self.sqs.create_queue(QueueName=ESCALATION_EVENTS_QUEUE)["QueueUrl"]
        self.events.put_rule(
            Name="escalation-events",
            EventBusName=EVENT_BUS,
            EventPattern=json.dumps({"source": [ESCALATION_EVENT_SOURCE]}),
        )
        self.events.put_targets(
            Rule="escalation-events",
            EventBusName=EVENT_BUS,
            Targets=[{"Id": "queue", "Arn": self._queue_arn(self.events_queue_url)}],
        )
        self._escalation_events: list[dict[str, Any]] = []
        self.dynamodb = dynamodb
        self._dead_letters: list[dict[str, Any]] = []
        self._dead_letter_attributes: list[dict[str, str]] = []
        self._alerts: list[dict[str, Any]] = []

    def _drain(self, queue_url: str) -> list[MessageTypeDef]:
        messages: list[MessageTypeDef] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            messages.extend(batch)

    def dead_letters(self) -> list[dict[str, Any]]:
        """Every record sent to the DLQ so far (the message bodies, parsed)."""
        for message in self._drain(self.dlq_url):
            self._dead_letters.append(json.loads(message["Body"]))
            self._dead_letter_attributes.append(
                {name: value["StringValue"] for name, value in message.get("MessageAttributes", {}).items()}
            )
        return list(self._dead_letters)

    def dead_letter_attributes(self) -> list[dict[str, str]]:
        self.dead_letters()
        return list(self._dead_letter_attributes)

    def alerts(self) -> list[dict[str, Any]]:
        """Every alert published so far: {"subject": ..., "alert": <the parsed message>}."""
        for message in self._drain(self.subscriber_url):
            envelope = json.loads(message["Body"])
            self._alerts.append(
                {"subject": envelope.get("Subject"), "alert": json.loads(envelope["Message"])}
            )
        return list(self._alerts)

    def idempotency_records(self) -> list[dict[str, Any]]:
        """The escalations' idempotency records (not the alert-window and dead-letter marks sharing it)."""
        items = self.dynamodb.scan(TableName=IDEMPOTENCY_TABLE)["Items"]
        marks = (ALERT_WINDOW_KEY_PREFIX, DEAD_LETTER_MARK_KEY_PREFIX)
        return [item for item in items if not item["id"]["S"].startswith(marks)]

    def _queue_arn(self, queue_url: str) -> str:
        attributes = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        return attributes["Attributes"]["QueueArn"]

    def escalation_events(self) -> list[dict[str, Any]]:
        """Every escalation event put on the stack's bus so far (the EventBridge events, parsed)."""
        for message in self._drain(self.events_queue_url):
            self._escalation_events.append(json.loads(message["Body"]))
        return list(self._escalation_events)

    def record_transfers(self, chain_id: str, count: int) -> None:
        """Put `count` confirmed transfers of the chain in the ledger, as earlier escalations left them."""
        for n in range(count):
            at = f"2026-01-01T00:{n:02d}:00+00:00"
            done = LedgerEntry(
                chain_id,
                f"earlier-{n}",
                chain_id,
                Trigger.API,
                "EARLIER",
                "someone",
                LedgerStatus.TRANSFERRED,
                at,
                at,
                level=n + 1,
            )
            self.dynamodb.put_item(TableName=LEDGER_TABLE, Item=to_item(done, timedelta(days=1)))

    def clear_ledger(self) -> None:
        for item in self.dynamodb.scan(TableName=LEDGER_TABLE)["Items"]:
            key = {name: item[name] for name in (LEDGER_PARTITION_KEY, LEDGER_SORT_KEY)}
            self.dynamodb.delete_item(TableName=LEDGER_TABLE, Key=key)

    def ledger(self) -> list[LedgerEntry]:
        """Every ledger entry, oldest first."""
        items = self.dynamodb.scan(TableName=LEDGER_TABLE)["Items"]
        return sorted((from_item(item) for item in items), key=lambda entry: entry.created_at)


class ConnectStub:
    """A Connect client owned by the test, a Stubber on it, and the answers each call must get.

    `clients` is what the Connect adapter is given: this client for every attempt budget.
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self.stubber = Stubber(client)
        self._transfers_unreachable = False

    def clients(self, _attempts: int) -> Any:
        return UnreachableTransfers(self.client) if self._transfers_unreachable else self.client

    def make_transfers_unreachable(self) -> None:
        """TransferContact raises botocore's EndpointConnectionError (what a dropped connection raises)."""
        self._transfers_unreachable = True

    def describe(self, response: dict[str, Any], contact_id: str = CONTACT_ID) -> None:
        self.stubber.add_response(
            "describe_contact", response, {"InstanceId": INSTANCE_ID, "ContactId": contact_id}
        )

    def update_attributes(self, attributes: dict[str, str] | Any = ANY, contact_id: str = CONTACT_ID) -> None:
        self.stubber.add_response(
            "update_contact_attributes",
            {},
            {"InstanceId": INSTANCE_ID, "InitialContactId": contact_id, "Attributes": attributes},
        )

    def user_data(self, response: dict[str, Any], user_id: str) -> None:
        self.stubber.add_response(
            "get_current_user_data",
            response,
            {"InstanceId": INSTANCE_ID, "Filters": {"Agents": [user_id]}},
        )

    def transfer(
        self,
        response: dict[str, Any],
        *,
        queue_id: str | None = None,
        user_id: str | None = None,
        flow_id: str | Any = ANY,
        client_token: str | Any = ANY,
        contact_id: str = CONTACT_ID,
        attributes: dict[str, str] | Any = ANY,
    ) -> None:
        """A successful TransferContact, then the confirmed attributes written on the new contact."""
        expected: dict[str, Any] = {
            "InstanceId": INSTANCE_ID,
            "ContactId": contact_id,
            "ContactFlowId": flow_id,
            "ClientToken": client_token,
        }
        if queue_id is not None:
            expected["QueueId"] = queue_id
        if user_id is not None:
            expected["UserId"] = user_id
        self.stubber.add_response("transfer_contact", response, expected)
        self.update_attributes(attributes, contact_id=response["ContactId"])

    def error(self, method: str, code: str, http_status: int, message: str = "stubbed error") -> None:
        self.stubber.add_client_error(
            method, service_error_code=code, service_message=message, http_status_code=http_status
        )

    def fail_as(self, row: ErrorRow, message: str = "stubbed error") -> None:
        """Queue the Connect conversation of an escalation that meets this row's failure."""
        if row.operation == "DescribeContact":
            self.error("describe_contact", str(row.connect_error), int(row.connect_status or 400), message)
            return
        if row.operation == "UpdateContactRoutingData":
            # A waiting voice call, moved up in its queue by the shipped rules' `inQueue` target.
            self.describe(contact(channel="VOICE"))
            self.error(
                "update_contact_routing_data", str(row.connect_error), int(row.connect_status or 400), message
            )
            if row.failure == "RESOURCE_CONFLICT":
                self.describe(contact(channel="VOICE"))  # it looks whether the call still waits: it does
            return
        self.describe(contact())
        if row.connect_error is None:
            self.make_transfers_unreachable()
            return
        self.error("transfer_contact", row.connect_error, int(row.connect_status or 400), message)
        if row.failure == "INVALID_REQUEST":
            self.describe(contact())  # it looks whether the contact ended meanwhile: it did not

    def assert_all_used(self) -> None:
        self.stubber.assert_no_pending_responses()


def api_body(response: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of an API Gateway proxy response."""
    body: dict[str, Any] = json.loads(response["body"])
    return body
