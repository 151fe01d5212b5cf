"""Local AWS: a moto server on 127.0.0.1 with the resources the CDK stack creates for the handler.

    with LocalAws(routing_rules=rules) as aws:
        os.environ.update(aws.handler_env(connect_endpoint_url=connect.url))
        os.environ["CONNECT_INSTANCE_ID"] = ...
        os.environ["ROUTING_RULES"] = aws.routing_rules_env or "escalation/routing_rules.json"
        ...
        aws.peek_dlq(); aws.alerts()

Resources: the dead-letter queue (SQS) and the HMAC key (KMS) signing its records, the alert topic (SNS)
with a local SQS subscriber so alerts can be read back, the idempotency table (DynamoDB, key `id` string,
TTL attribute `expiration`, which are the Powertools DynamoDBPersistenceLayer defaults), the escalation
ledger table (keys and index as the stack's) and, when routing rules are given, an SSM parameter.

moto keeps its state in module globals, so two LocalAws in one process share one account. Every instance
names its resources with a random prefix so that tests running side by side cannot see each other's data.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from moto.server import ThreadedMotoServer

from escalation import contract
from escalation.adapters.dynamodb_ledger import from_item
from escalation.contract import EnvVar
from escalation.domain.identity import ID_SECRET_LABEL
from escalation.domain.ledger import LedgerEntry
from escalation.record_mac import MAC_ALGORITHM
from local.aws_isolation import DUMMY_ACCESS_KEY_ID, DUMMY_SECRET_ACCESS_KEY, DUMMY_SESSION_TOKEN
from local.background_server import Service, started
from local.lambda_context import DEFAULT_REGION
from local.scheduler_backend import apply_scheduler_rules

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient

logger = logging.getLogger(__name__)

_MAX_BATCH = 10  # SQS receive limit


def create_ledger_table(ddb: DynamoDBClient, name: str) -> None:
    """The escalation ledger's table, keyed and indexed as infra/storage.py creates it."""
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": contract.LEDGER_PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": contract.LEDGER_SORT_KEY, "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": contract.LEDGER_PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": contract.LEDGER_SORT_KEY, "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": contract.LEDGER_ESCALATION_INDEX,
                "KeySchema": [{"AttributeName": contract.LEDGER_SORT_KEY, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": contract.LEDGER_TTL_ATTRIBUTE},
    )


@dataclass(frozen=True)
class QueueMessage:
    """One SQS message as read back from a local queue."""

    message_id: str
    receipt_handle: str
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Alert:
    """One message published to the alert topic, unwrapped from its SNS envelope."""

    message_id: str
    topic_arn: str
    subject: str | None
    message: str
    message_attributes: dict[str, Any]

    def json(self) -> Any:
        return json.loads(self.message)


class LocalAws(Service):
    """A moto server on a free 127.0.0.1 port plus the stack's DLQ, alert topic, table and parameter."""

    def __init__(
        self,
        *,
        routing_rules: str | Mapping[str, Any] | Sequence[Any] | None = None,
        name_prefix: str | None = None,
        region: str = DEFAULT_REGION,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.region = region
        self.name_prefix = name_prefix or f"escalation-local-{uuid.uuid4().hex[:8]}"
        self._routing_rules = routing_rules
        self._host = host
        self._port = port
        self._server: ThreadedMotoServer | None = None
        self._endpoint_url: str | None = None
        self.dlq_url = ""
        self.dlq_arn = ""
        self.schedule_dlq_url = ""  # where the SLA timers' schedules dead-letter
        self.schedule_dlq_arn = ""
        self.schedule_group = f"{self.name_prefix}-sla"  # the SLA timers' schedule group
        self.alert_topic_arn = ""
        self.alert_queue_url = ""
        self.idempotency_table = f"{self.name_prefix}-idempotency"
        self.ledger_table = f"{self.name_prefix}-ledger"
        self.routing_rules_parameter: str | None = None
        self.mac_key_id = ""  # the HMAC key that signs dead-letter records, as the stack's

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> LocalAws:
        if self._server is not None:
            return self
        werkzeug_logger = logging.getLogger("werkzeug")
        if werkzeug_logger.level == logging.NOTSET:
            # moto runs werkzeug's dev server, which prints every request to stderr at INFO.
            werkzeug_logger.setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address=self._host, port=self._port, verbose=False)
        server.start()
        self._server = server
        host, port = server.get_host_and_port()
        self._endpoint_url = f"http://{host}:{port}"
        try:
            self._create_resources()
        except BaseException:
            self.stop()
            raise
        logger.info("local AWS (moto) on %s, prefix %s", self._endpoint_url, self.name_prefix)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    @property
    def endpoint_url(self) -> str:
        return started(self._endpoint_url, "LocalAws")

    # -- environment and clients -------------------------------------------------------------------

    @property
    def routing_rules_env(self) -> str | None:
        """The ROUTING_RULES value that points the handler at the SSM parameter, if one was created."""
        return f"ssm:{self.routing_rules_parameter}" if self.routing_rules_parameter else None

    def client_env(self) -> dict[str, str]:
        """Credentials, region and endpoint for any botocore client that should talk to moto."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_ACCESS_KEY,
            "AWS_SESSION_TOKEN": DUMMY_SESSION_TOKEN,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,  # what the Lambda runtime sets; some libraries read only this one
        }

    def handler_env(
        self, connect_endpoint_url: str, *, bus_endpoint_url: str | None = None
    ) -> dict[str, str]:
        """The environment the handler needs, minus CONNECT_INSTANCE_ID and ROUTING_RULES (the caller's).

        bus_endpoint_url, when given, also sends `events` and `lambda` clients to local.bus.
        """
        env = self.client_env()
        env["AWS_ENDPOINT_URL_CONNECT"] = connect_endpoint_url
        if bus_endpoint_url is not None:
            env["AWS_ENDPOINT_URL_EVENTBRIDGE"] = bus_endpoint_url
            env["AWS_ENDPOINT_URL_LAMBDA"] = bus_endpoint_url
        env[EnvVar.DLQ_URL] = self.dlq_url
        env[EnvVar.DEAD_LETTER_MAC_KEY_ID] = self.mac_key_id
        env[EnvVar.ALERT_TOPIC_ARN] = self.alert_topic_arn
        env[EnvVar.IDEMPOTENCY_TABLE] = self.idempotency_table
        env[EnvVar.LEDGER_TABLE] = self.ledger_table
        return env

    def _client_kwargs(self) -> dict[str, Any]:
        # Explicit arguments rather than os.environ, so tests need not mutate the process environment.
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": DUMMY_ACCESS_KEY_ID,
            "aws_secret_access_key": DUMMY_SECRET_ACCESS_KEY,
            "aws_session_token": DUMMY_SESSION_TOKEN,
        }

    def sqs(self) -> SQSClient:
        return boto3.client("sqs", **self._client_kwargs())

    def scheduler(self) -> EventBridgeSchedulerClient:
        return boto3.client("scheduler", **self._client_kwargs())

    def sns(self) -> SNSClient:
        return boto3.client("sns", **self._client_kwargs())

    def dynamodb(self) -> DynamoDBClient:
        return boto3.client("dynamodb", **self._client_kwargs())

    def ssm(self) -> SSMClient:
        return boto3.client("ssm", **self._client_kwargs())

    def kms(self) -> KMSClient:
        return boto3.client("kms", **self._client_kwargs())

    def escalation_id_secret(self) -> bytes:
        """The secret the handler keys its escalation ids with (escalation/escalation_ids.py), as it
        derives it: the MAC key's MAC of the label. For local tools that print an id ahead of time."""
        return self.kms().generate_mac(
            Message=ID_SECRET_LABEL, KeyId=self.mac_key_id, MacAlgorithm=MAC_ALGORITHM
        )["Mac"]

    # -- resources ---------------------------------------------------------------------------------

    def _create_resources(self) -> None:
        sqs = self.sqs()
        prefix = self.name_prefix
        self.dlq_url = sqs.create_queue(
            QueueName=f"{prefix}-dlq",
            Attributes={"MessageRetentionPeriod": str(14 * 24 * 3600)},  # SQS maximum, as the stack sets
        )["QueueUrl"]
        self.dlq_arn = self._queue_arn(sqs, self.dlq_url)
        self.mac_key_id = self.kms().create_key(
            Description=f"{prefix}: HMAC of the dead-letter records",
            KeySpec="HMAC_256",
            KeyUsage="GENERATE_VERIFY_MAC",
        )["KeyMetadata"]["Arn"]
        self.schedule_dlq_url = sqs.create_queue(QueueName=f"{prefix}-schedule-dlq")["QueueUrl"]
        self.schedule_dlq_arn = self._queue_arn(sqs, self.schedule_dlq_url)
        self.scheduler().create_schedule_group(Name=self.schedule_group)
        apply_scheduler_rules(self.region, self.schedule_group)  # a past at() refused, as Scheduler does

        sns = self.sns()
        self.alert_topic_arn = sns.create_topic(Name=f"{prefix}-alerts")["TopicArn"]
        self.alert_queue_url = sqs.create_queue(QueueName=f"{prefix}-alerts-subscriber")["QueueUrl"]
        sns.subscribe(
            TopicArn=self.alert_topic_arn,
            Protocol="sqs",
            Endpoint=self._queue_arn(sqs, self.alert_queue_url),
            # Envelope kept (raw delivery off) so subject and attributes can be checked too.
            Attributes={"RawMessageDelivery": "false"},
        )

        self._create_tables()

        if self._routing_rules is not None:
            rules = self._routing_rules
            value = rules if isinstance(rules, str) else json.dumps(rules)
            self.routing_rules_parameter = f"/{prefix}/routing-rules"
            self.ssm().put_parameter(Name=self.routing_rules_parameter, Value=value, Type="String")

    def _create_tables(self) -> None:
        ddb = self.dynamodb()
        ddb.create_table(
            TableName=self.idempotency_table,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.update_time_to_live(
            TableName=self.idempotency_table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"},
        )
        create_ledger_table(ddb, self.ledger_table)

    def empty_tables(self) -> None:
        """Recreate the idempotency table and the ledger, empty, under the same names.

        moto's writes and queries slow down with the number of items in a table (about 3 ms per ledger
        query and put when empty, 100 ms at 5,000 items), which DynamoDB's do not: a run that measures
        throughput starts from empty tables.
        """
        ddb = self.dynamodb()
        for table in (self.idempotency_table, self.ledger_table):
            ddb.delete_table(TableName=table)
        self._create_tables()

    @staticmethod
    def _queue_arn(sqs: SQSClient, queue_url: str) -> str:
        attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
        return attrs["QueueArn"]

    # -- reading back ------------------------------------------------------------------------------

    def _receive_all(self, queue_url: str, *, delete: bool) -> list[QueueMessage]:
        # Hide each message while collecting (so a receive loop terminates), then either delete it or
        # make it visible again, which leaves the queue as it was for a later consumer such as redrive.
        sqs = self.sqs()
        seen: dict[str, QueueMessage] = {}
        while True:
            batch = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=_MAX_BATCH, VisibilityTimeout=60, WaitTimeSeconds=0
            ).get("Messages", [])
            if not batch:
                break
            for raw in batch:
                msg = QueueMessage(raw["MessageId"], raw["ReceiptHandle"], raw["Body"])
                seen.setdefault(msg.message_id, msg)
        for msg in seen.values():
            if delete:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=msg.receipt_handle)
            else:
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=msg.receipt_handle, VisibilityTimeout=0
                )
        return list(seen.values())

    def peek_dlq(self) -> list[QueueMessage]:
        """Every message now in the DLQ, left in place."""
        return self._receive_all(self.dlq_url, delete=False)

    def drain_dlq(self) -> list[QueueMessage]:
        """Every message now in the DLQ, deleted from it."""
        return self._receive_all(self.dlq_url, delete=True)

    def dlq_records(self) -> list[Any]:
        """The DLQ bodies parsed as JSON (left in place); raises on a body that is not JSON."""
        return [m.json() for m in self.peek_dlq()]

    def alerts(self, *, drain: bool = True) -> list[Alert]:
        """Messages published to the alert topic so far (consumed by default: the next call sees new ones)."""
        alerts: list[Alert] = []
        for msg in self._receive_all(self.alert_queue_url, delete=drain):
            envelope = msg.json()
            alerts.append(
                Alert(
                    message_id=envelope["MessageId"],
                    topic_arn=envelope["TopicArn"],
                    subject=envelope.get("Subject"),
                    message=envelope["Message"],
                    message_attributes=envelope.get("MessageAttributes") or {},
                )
            )
        return alerts

    def ledger(self) -> list[LedgerEntry]:
        """Every escalation ledger entry, oldest first."""
        pages = self.dynamodb().get_paginator("scan").paginate(TableName=self.ledger_table)
        entries = [from_item(item) for page in pages for item in page.get("Items", [])]
        return sorted(entries, key=lambda entry: (entry.created_at, entry.escalation_id))

    def purge(self) -> None:
        """Empty the DLQ, the alert subscriber queue and the schedules' DLQ."""
        # Receive-and-delete rather than PurgeQueue, which (in moto as in SQS) allows one call a minute.
        for url in (self.dlq_url, self.alert_queue_url, self.schedule_dlq_url):
            self._receive_all(url, delete=True)
