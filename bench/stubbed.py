"""One execution environment in this process with Connect stubbed, for CPU and memory measurements.

Connect: botocore's Stubber on the adapter's own client (`composition.aws_clients().connect(N)`, N the
attempt budget a 20 s invocation gets), one DescribeContact + UpdateContactAttributes + TransferContact
answer queued per escalation. DynamoDB, SQS and SNS: moto in process (`mock_aws`), so moto's emulation of
DynamoDB runs on the measuring thread and is counted, which a deployed Lambda does not pay (it waits on
the network instead). Two variants separate that out: the idempotency store replaced by a no-op, and
DynamoDB answered by a Stubber too ("all stubbed").

Baselines: bare1 is `boto3.client("connect")` with a Stubber and one `transfer_contact` per event;
bare5 makes ours' five calls (DynamoDB PutItem, DescribeContact, UpdateContactAttributes,
TransferContact, DynamoDB UpdateItem) on stubbed clients of one session, without any framework around
them. Ours runs both paths: the SLA-breach event and the API request (POST /escalations).
"""

# ruff: noqa: PLC0415 - imports are deferred on purpose: environment variables first, or import cost measured
from __future__ import annotations

import contextlib
import io
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    API_CALLER,
    INSTANCE_ID,
    LAMBDA_TIMEOUT_SECONDS,
    QUEUE_FLOW,
    SOURCE_QUEUE,
    TARGET_QUEUE,
    api_event,
    handler_extra_env,
    isolated_aws_env,
    sla_event,
)

Handler = Callable[[dict[str, Any], Any], Any]

OURS = "ours"  # event path, DynamoDB/SQS/SNS in moto (in process)
OURS_NOOP_IDEMPOTENCY = "ours-noop-idempotency"
OURS_ALL_STUBBED = "ours-all-stubbed"  # event path, DynamoDB through a Stubber as well
OURS_API_ALL_STUBBED = "ours-api-all-stubbed"  # API path, every AWS call stubbed
BARE = "bare1"
BARE5 = "bare5"  # ours' five calls on stubbed clients, no framework
VARIANTS = (BARE, BARE5, OURS, OURS_NOOP_IDEMPOTENCY, OURS_ALL_STUBBED, OURS_API_ALL_STUBBED)
ALL_STUBBED = (OURS_ALL_STUBBED, OURS_API_ALL_STUBBED)


class _NoOpIdempotency:
    """The IdempotentRunner port without a store: runs the operation every time."""

    def run(self, key: str, operation: Callable[[], dict[str, Any]]) -> dict[str, Any]:  # noqa: ARG002
        return operation()


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Powertools' metrics are printed at the end of each invocation; send them nowhere while measuring."""
    saved = sys.stdout
    sys.stdout = _DEVNULL
    try:
        yield
    finally:
        sys.stdout = saved


_DEVNULL: io.TextIOWrapper = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process


@dataclass
class Environment:
    """The handlers and their stubs; call `prepare(variant)` before each escalation, then `invoke`."""

    ours: Handler
    bare: Handler
    bare5: Handler
    connect_stub: Any  # botocore.stub.Stubber on ours' Connect client
    dynamodb_stub: Any  # Stubber on the idempotency and ledger DynamoDB client (active only when all stubbed)
    events_stub: Any  # Stubber on the escalation events' EventBridge client (active only when all stubbed)
    bare_stub: Any
    bare_dynamodb_stub: Any
    service: Any  # EscalationService, to swap its idempotency runner
    real_idempotency: Any
    mock: Any  # moto's mock_aws, started

    def use(self, variant: str) -> None:
        """Switch the environment to a variant (stubs activated/deactivated, idempotency swapped)."""
        self.service._idempotency = (
            _NoOpIdempotency() if variant == OURS_NOOP_IDEMPOTENCY else self.real_idempotency
        )
        for stub in (self.dynamodb_stub, self.events_stub):
            if variant in ALL_STUBBED:
                stub.activate()
            else:
                stub.deactivate()

    def prepare(self, variant: str) -> dict[str, Any]:
        """Queue the stubbed answers for one escalation; returns its event (a fresh contact id)."""
        contact_id = str(uuid.uuid4())
        if variant == BARE:
            self.bare_stub.add_response("transfer_contact", _transfer_answer())
            return sla_event(contact_id)
        if variant == BARE5:
            self.bare_dynamodb_stub.add_response("put_item", {})
            self.bare_stub.add_response("describe_contact", _describe_answer(contact_id))
            self.bare_stub.add_response("update_contact_attributes", {})
            self.bare_stub.add_response("transfer_contact", _transfer_answer())
            self.bare_dynamodb_stub.add_response("update_item", {})
            return sla_event(contact_id)
        self.connect_stub.add_response("describe_contact", _describe_answer(contact_id))
        self.connect_stub.add_response("transfer_contact", _transfer_answer())
        self.connect_stub.add_response("update_contact_attributes", {})  # the confirmed values, after
        if variant in ALL_STUBBED:
            # Idempotency INPROGRESS, the chain's ledger read, PENDING, TRANSFERRED, idempotency COMPLETED.
            self.dynamodb_stub.add_response("put_item", {})
            self.dynamodb_stub.add_response("query", {"Items": []})
            self.dynamodb_stub.add_response("put_item", {})
            self.dynamodb_stub.add_response("put_item", {})
            self.dynamodb_stub.add_response("update_item", {})
            self.events_stub.add_response(
                "put_events", {"FailedEntryCount": 0, "Entries": [{"EventId": "e"}]}
            )
        return api_event(contact_id) if variant == OURS_API_ALL_STUBBED else sla_event(contact_id)

    def handler(self, variant: str) -> Handler:
        if variant == BARE:
            return self.bare
        return self.bare5 if variant == BARE5 else self.ours

    def check_drained(self) -> None:
        """Every queued answer was used: the stubs really answered (nothing went to a network)."""
        for stub in (self.connect_stub, self.bare_stub, self.bare_dynamodb_stub):
            stub.assert_no_pending_responses()

    def close(self) -> None:
        self.connect_stub.deactivate()
        self.bare_stub.deactivate()
        self.bare_dynamodb_stub.deactivate()
        self.dynamodb_stub.deactivate()
        self.events_stub.deactivate()
        self.mock.stop()


def _describe_answer(contact_id: str) -> dict[str, Any]:
    return {
        "Contact": {
            "Id": contact_id,
            "Arn": f"arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE_ID}/contact/{contact_id}",
            "InitialContactId": contact_id,
            "Channel": "TASK",
            "InitiationMethod": "API",
            "QueueInfo": {"Id": SOURCE_QUEUE},
            "AgentInfo": {"Id": API_CALLER},  # the API caller is the contact's agent
            "Attributes": {},
        }
    }


def _transfer_answer() -> dict[str, Any]:
    new_id = str(uuid.uuid4())
    return {
        "ContactId": new_id,
        "ContactArn": f"arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE_ID}/contact/{new_id}",
    }


def new_context() -> Any:
    from local.lambda_context import FunctionConfig
    from local.lambda_context import new_context as make

    return make(FunctionConfig(timeout_seconds=LAMBDA_TIMEOUT_SECONDS))


class _NoMock:
    def stop(self) -> None:
        pass


def start(tmp_dir: Path, *, use_moto: bool = True) -> Environment:
    """Set this process up as one execution environment (environment variables, moto, handler, stubs).

    use_moto False: moto is not even imported (only the all-stubbed and bare variants then work); the
    DLQ, topic and table names are placeholders that no call reaches.
    """
    os.environ.update(isolated_aws_env(tmp_dir))
    os.environ.update(handler_extra_env())
    for name in [key for key in os.environ if key.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]

    import boto3
    from botocore.stub import Stubber

    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    table = f"{prefix}-idempotency"
    mock: Any = _NoMock()
    if use_moto:
        from moto import mock_aws

        mock = mock_aws()
        mock.start()
        sqs = boto3.client("sqs")
        sns = boto3.client("sns")
        ddb = boto3.client("dynamodb")
        ddb.create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        from local.aws import create_ledger_table

        create_ledger_table(ddb, f"{prefix}-ledger")
        os.environ["DLQ_URL"] = sqs.create_queue(QueueName=f"{prefix}-dlq")["QueueUrl"]
        os.environ["ALERT_TOPIC_ARN"] = sns.create_topic(Name=f"{prefix}-alerts")["TopicArn"]
    else:
        os.environ["DLQ_URL"] = f"https://sqs.us-east-1.amazonaws.com/123456789012/{prefix}-dlq"
        os.environ["ALERT_TOPIC_ARN"] = f"arn:aws:sns:us-east-1:123456789012:{prefix}-alerts"
    os.environ["IDEMPOTENCY_TABLE"] = table
    os.environ["LEDGER_TABLE"] = f"{prefix}-ledger"

    with quiet_stdout():  # Powertools' Logger binds sys.stdout when the handler module creates it
        from escalation import composition

        composition.reset()
        sys.modules.pop("escalation.handler", None)
        from escalation.handler import handler as ours

        # The stubs go on the very clients the adapters are built with.
        clients = composition.aws_clients()
        composition.aws_clients = lambda session=None: clients  # noqa: ARG005 - same signature
        components = composition.components()
        components.contact_center.bind_deadline(new_context().get_remaining_time_in_millis)
        attempts = components.contact_center._attempts()
        connect_stub = Stubber(clients.connect(attempts))
        connect_stub.activate()
        dynamodb_stub = Stubber(clients.dynamodb)
        events_stub = Stubber(clients.events)

    bare_session = boto3.session.Session()
    bare_client = bare_session.client("connect")
    bare_stub = Stubber(bare_client)
    bare_stub.activate()
    bare_dynamodb = bare_session.client("dynamodb")
    bare_dynamodb_stub = Stubber(bare_dynamodb)
    bare_dynamodb_stub.activate()

    def bare(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001 - Lambda's signature
        bare_client.transfer_contact(
            InstanceId=INSTANCE_ID,
            ContactId=event["detail"]["contactId"],
            ContactFlowId=QUEUE_FLOW,
            QueueId=TARGET_QUEUE,
        )
        return {"status": "TRANSFERRED"}

    def bare5(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001
        contact_id = event["detail"]["contactId"]
        key = {"id": {"S": f"bare5#{contact_id}"}}
        bare_dynamodb.put_item(
            TableName=table,
            Item={**key, "status": {"S": "INPROGRESS"}},
            ConditionExpression="attribute_not_exists(id)",
        )
        contact = bare_client.describe_contact(InstanceId=INSTANCE_ID, ContactId=contact_id)["Contact"]
        bare_client.update_contact_attributes(
            InstanceId=INSTANCE_ID,
            InitialContactId=contact["InitialContactId"],
            Attributes={"escalationLevel": "1", "escalationReason": "SLA_BREACH"},
        )
        bare_client.transfer_contact(
            InstanceId=INSTANCE_ID, ContactId=contact_id, ContactFlowId=QUEUE_FLOW, QueueId=TARGET_QUEUE
        )
        bare_dynamodb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": "COMPLETED"}},
        )
        return {"status": "TRANSFERRED"}

    return Environment(
        ours=ours,
        bare=bare,
        bare5=bare5,
        connect_stub=connect_stub,
        dynamodb_stub=dynamodb_stub,
        events_stub=events_stub,
        bare_stub=bare_stub,
        bare_dynamodb_stub=bare_dynamodb_stub,
        service=components.service,
        real_idempotency=components.service._idempotency,
        mock=mock,
    )


@dataclass
class BareEnvironment:
    """Only the bare handler: the production handler is never imported (a baseline for memory)."""

    bare: Handler
    bare_stub: Any

    def use(self, variant: str) -> None:
        if variant != BARE:
            raise ValueError(f"a bare environment runs only {BARE!r}, not {variant!r}")

    def prepare(self, variant: str) -> dict[str, Any]:
        self.use(variant)
        self.bare_stub.add_response("transfer_contact", _transfer_answer())
        return sla_event(str(uuid.uuid4()))

    def handler(self, variant: str) -> Handler:
        self.use(variant)
        return self.bare

    def check_drained(self) -> None:
        self.bare_stub.assert_no_pending_responses()

    def close(self) -> None:
        self.bare_stub.deactivate()


def start_bare(tmp_dir: Path) -> BareEnvironment:
    os.environ.update(isolated_aws_env(tmp_dir))
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("connect")
    stub = Stubber(client)
    stub.activate()

    def bare(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001 - Lambda's signature
        client.transfer_contact(
            InstanceId=INSTANCE_ID,
            ContactId=event["detail"]["contactId"],
            ContactFlowId=QUEUE_FLOW,
            QueueId=TARGET_QUEUE,
        )
        return {"status": "TRANSFERRED"}

    return BareEnvironment(bare=bare, bare_stub=stub)


def check_answer(variant: str, answer: Any) -> None:
    """A transfer, as the event path answers it or as the API does (200 with the result)."""
    transferred = isinstance(answer, dict) and (
        answer.get("status") == "TRANSFERRED"
        or (answer.get("statusCode") == 200 and '"TRANSFERRED"' in str(answer.get("body")))
    )
    if not transferred:
        raise RuntimeError(f"{variant}: unexpected answer {answer!r}")


def escalate_once(env: Environment | BareEnvironment, variant: str) -> Any:
    """One stubbed escalation, outside any timer (used for warm-up and the memory benchmark)."""
    event = env.prepare(variant)
    with quiet_stdout():
        answer = env.handler(variant)(event, new_context())
    check_answer(variant, answer)
    return answer
