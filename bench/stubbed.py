"""One execution environment in this process with Connect stubbed, for CPU and memory measurements.

Connect: botocore's Stubber on the adapter's own client (`composition.aws_clients().connect(N)`, N the
attempt budget a 20 s invocation gets), one DescribeContact + UpdateContactAttributes + TransferContact
answer queued per escalation. `ours`: DynamoDB, EventBridge, SQS and SNS in moto in process
(`mock_aws`), so moto's emulation of DynamoDB runs on the measuring thread and is counted, which a
deployed Lambda does not pay (it waits on the network instead). The other variants answer DynamoDB
(idempotency record and ledger) and EventBridge with a Stubber too: "all stubbed" on both paths, and
the event path with the idempotency store replaced by a no-op (what the idempotency layer costs).

Baselines (bench.baseline_calls), each on stubbed clients of one session without any framework around
them: bare1 is one `transfer_contact` per event; bare5 the five calls ours made before the ledger; bare9
ours' nine calls in the event path's order (idempotency PutItem, DescribeContact, ledger Query, ledger
PutItem PENDING, TransferContact, ledger PutItem TRANSFERRED, PutEvents, UpdateContactAttributes on the
new contact, idempotency UpdateItem), the like-for-like baseline. Ours runs both paths: the SLA-breach
event and the API request (POST /escalations).
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
    LAMBDA_TIMEOUT_SECONDS,
    api_event,
    handler_extra_env,
    sla_event,
)
from bench.stubbed_baselines import (
    BARE,
    BARE5,
    BARE9,
    BARES,
    BareEnvironment,
    Baselines,
    Handler,
    describe_answer,
    queue_nine_answers,
    start_baselines,
    transfer_answer,
)
from local.aws_isolation import isolated_aws_variables

OURS = "ours"  # event path, DynamoDB/EventBridge/SQS/SNS in moto (in process)
OURS_NOOP_IDEMPOTENCY = "ours-noop-idempotency"  # event path, every AWS call stubbed, no idempotency store
OURS_ALL_STUBBED = "ours-all-stubbed"  # event path, DynamoDB and EventBridge through a Stubber as well
OURS_API_ALL_STUBBED = "ours-api-all-stubbed"  # API path, every AWS call stubbed
VARIANTS = (BARE, BARE5, BARE9, OURS, OURS_NOOP_IDEMPOTENCY, OURS_ALL_STUBBED, OURS_API_ALL_STUBBED)
ALL_STUBBED = (OURS_ALL_STUBBED, OURS_API_ALL_STUBBED, OURS_NOOP_IDEMPOTENCY)


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
    baselines: Baselines | None  # None when started without them
    connect_stub: Any  # botocore.stub.Stubber on ours' Connect client
    dynamodb_stub: Any  # Stubber on the idempotency and ledger DynamoDB client (inactive for `ours`)
    events_stub: Any  # Stubber on the escalation events' EventBridge client (inactive for `ours`)
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
        if variant in BARES:
            return self._baselines().prepare(variant)
        contact_id = str(uuid.uuid4())
        if variant in ALL_STUBBED:
            queue_nine_answers(
                self.connect_stub,
                self.dynamodb_stub,
                self.events_stub,
                contact_id,
                idempotency=variant != OURS_NOOP_IDEMPOTENCY,
            )
        else:
            self.connect_stub.add_response("describe_contact", describe_answer(contact_id))
            self.connect_stub.add_response("transfer_contact", transfer_answer())
            self.connect_stub.add_response("update_contact_attributes", {})
        return api_event(contact_id) if variant == OURS_API_ALL_STUBBED else sla_event(contact_id)

    def handler(self, variant: str) -> Handler:
        return self._baselines().handlers[variant] if variant in BARES else self.ours

    def _baselines(self) -> Baselines:
        if self.baselines is None:
            raise ValueError("this environment was started without the baselines")
        return self.baselines

    def check_drained(self) -> None:
        """Every queued answer was used: the stubs really answered (nothing went to a network)."""
        ours = [self.connect_stub, self.dynamodb_stub, self.events_stub]
        for stub in [*ours, *(self.baselines.stubs() if self.baselines else [])]:
            stub.assert_no_pending_responses()

    def close(self) -> None:
        for stub in [
            self.connect_stub,
            self.dynamodb_stub,
            self.events_stub,
            *(self.baselines.stubs() if self.baselines else []),
        ]:
            stub.deactivate()
        self.mock.stop()


def new_context() -> Any:
    from local.lambda_context import FunctionConfig
    from local.lambda_context import new_context as make

    return make(FunctionConfig(timeout_seconds=LAMBDA_TIMEOUT_SECONDS))


class _NoMock:
    def stop(self) -> None:
        pass


def start(
    tmp_dir: Path, *, use_moto: bool = True, with_baselines: bool = True, isolate: bool = True
) -> Environment:
    """Set this process up as one execution environment (environment variables, moto, handler, stubs).

    use_moto False: moto is not used (only the all-stubbed and bare variants then work); the DLQ, topic
    and table names are placeholders that no call reaches. with_baselines False: the bare handlers'
    session and clients are not built (the process holds only ours). isolate False: the caller already
    set local.aws_isolation's variables (local.aws, which imports moto, is then never imported).
    """
    if isolate:
        os.environ.update(isolated_aws_variables(tmp_dir))
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
        os.environ["DEAD_LETTER_MAC_KEY_ID"] = boto3.client("kms").create_key(
            KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC"
        )["KeyMetadata"]["Arn"]
    else:
        os.environ["DLQ_URL"] = f"https://sqs.us-east-1.amazonaws.com/123456789012/{prefix}-dlq"
        os.environ["ALERT_TOPIC_ARN"] = f"arn:aws:sns:us-east-1:123456789012:{prefix}-alerts"
        os.environ["DEAD_LETTER_MAC_KEY_ID"] = f"arn:aws:kms:us-east-1:123456789012:key/{prefix}-mac"
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
        if not use_moto:
            # The escalation-id secret: one KMS GenerateMac per execution environment, made here once
            # (answered by a Stubber like every other call) so that the measured escalations make none.
            with Stubber(clients.kms()) as kms_stub:
                kms_stub.add_response(
                    "generate_mac",
                    {"Mac": b"bench escalation-id secret 32 b.", "MacAlgorithm": "HMAC_SHA_256"},
                )
                components.escalation_ids.of("warm-up", "warm-up")

    return Environment(
        ours=ours,
        baselines=start_baselines(BARES, table, f"{prefix}-ledger") if with_baselines else None,
        connect_stub=connect_stub,
        dynamodb_stub=dynamodb_stub,
        events_stub=events_stub,
        service=components.service,
        real_idempotency=components.service._idempotency,
        mock=mock,
    )


def check_answer(variant: str, answer: Any) -> None:
    """A transfer, as the event path answers it or as the API does (200 with the result)."""
    transferred = isinstance(answer, dict) and (
        answer.get("status") == "TRANSFERRED"
        or (answer.get("statusCode") == 200 and '"TRANSFERRED"' in str(answer.get("body")))
    )
    if not transferred:
        raise RuntimeError(f"{variant}: unexpected answer {answer!r}")


def operations_of_one_escalation(env: Environment | BareEnvironment, variant: str) -> list[str]:
    """The AWS operations one escalation of `variant` calls, in order (whichever client makes them)."""
    import botocore.client

    called: list[str] = []
    make_api_call = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]

    def recorded(self: Any, operation_name: str, api_params: Any) -> Any:
        called.append(operation_name)
        return make_api_call(self, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = recorded  # type: ignore[attr-defined]
    try:
        escalate_once(env, variant)
    finally:
        botocore.client.BaseClient._make_api_call = make_api_call  # type: ignore[attr-defined]
    return called


def escalate_once(env: Environment | BareEnvironment, variant: str) -> Any:
    """One stubbed escalation, outside any timer (used for warm-up and the memory benchmark)."""
    event = env.prepare(variant)
    with quiet_stdout():
        answer = env.handler(variant)(event, new_context())
    check_answer(variant, answer)
    return answer
