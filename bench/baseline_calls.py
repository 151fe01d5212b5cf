"""The baselines' AWS calls: what a handler with no framework around it makes for one escalation.

Shared by the cold-start child (real clients against the emulator and moto) and the in-process
environment (stubbed clients). Only the standard library is imported here: the cold-start child imports
this module inside its measured window, and a baseline must not pay for anything of ours.

- bare5: the five calls an escalation made before the ledger (idempotency put, DescribeContact,
  UpdateContactAttributes, TransferContact, idempotency update);
- bare9: the nine calls it makes now, in the service's order (`escalation.service`): on the event path
  idempotency put, DescribeContact, ledger Query, ledger put (PENDING), TransferContact, ledger put
  (TRANSFERRED), PutEvents, UpdateContactAttributes on the new contact, idempotency update; the API
  path describes the contact first (its caller is authorised against it) and then takes the
  idempotency record;
- bareSched: a contact event's Scheduler calls (CreateSchedule for the breach, and the warning when the
  policy has one, on QUEUED; DeleteSchedule of both on CONNECTED_TO_AGENT; nothing otherwise).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# The ledger's key attribute names (escalation.contract.LEDGER_PARTITION_KEY / LEDGER_SORT_KEY),
# spelled out so that a baseline never imports the production package.
LEDGER_PARTITION_KEY = "chainId"
LEDGER_SORT_KEY = "escalationId"
EVENT_SOURCE = "escalation.service"  # escalation.contract.ESCALATION_EVENT_SOURCE
BARE5_OPERATIONS = (
    "PutItem",
    "DescribeContact",
    "UpdateContactAttributes",
    "TransferContact",
    "UpdateItem",
)
BARE9_OPERATIONS = (
    "PutItem",
    "DescribeContact",
    "Query",
    "PutItem",
    "TransferContact",
    "PutItem",
    "PutEvents",
    "UpdateContactAttributes",
    "UpdateItem",
)
BARE9_API_OPERATIONS = ("DescribeContact", "PutItem", *BARE9_OPERATIONS[2:])


@dataclass(frozen=True)
class Escalation:
    """What one baseline escalation works on."""

    instance_id: str
    contact_id: str
    flow_id: str
    queue_id: str
    reason: str
    idempotency_table: str
    ledger_table: str = ""
    event_bus: str = "default"


def _take_idempotency_record(dynamodb: Any, escalation: Escalation) -> dict[str, Any]:
    key = {"id": {"S": f"bare#{escalation.contact_id}"}}
    dynamodb.put_item(
        TableName=escalation.idempotency_table,
        Item={**key, "status": {"S": "INPROGRESS"}},
        ConditionExpression="attribute_not_exists(id)",
    )
    return key


def _complete_idempotency_record(dynamodb: Any, escalation: Escalation, key: dict[str, Any]) -> None:
    dynamodb.update_item(
        TableName=escalation.idempotency_table,
        Key=key,
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "COMPLETED"}},
    )


def _transfer(connect: Any, escalation: Escalation) -> dict[str, Any]:
    answer: dict[str, Any] = connect.transfer_contact(
        InstanceId=escalation.instance_id,
        ContactId=escalation.contact_id,
        ContactFlowId=escalation.flow_id,
        QueueId=escalation.queue_id,
    )
    return answer


def bare1(connect: Any, escalation: Escalation) -> str:
    """The one call; returns the new contact's id."""
    return str(_transfer(connect, escalation)["ContactId"])


def bare5(connect: Any, dynamodb: Any, escalation: Escalation) -> str:
    """The five calls; returns the new contact's id."""
    key = _take_idempotency_record(dynamodb, escalation)
    contact = connect.describe_contact(InstanceId=escalation.instance_id, ContactId=escalation.contact_id)
    connect.update_contact_attributes(
        InstanceId=escalation.instance_id,
        InitialContactId=contact["Contact"].get("InitialContactId") or escalation.contact_id,
        Attributes={"escalationLevel": "1", "escalationReason": escalation.reason},
    )
    answer = _transfer(connect, escalation)
    _complete_idempotency_record(dynamodb, escalation, key)
    return str(answer["ContactId"])


def _ledger_item(chain_id: str, escalation: Escalation, status: str, **extra: str) -> dict[str, Any]:
    now = int(time.time())
    item = {
        LEDGER_PARTITION_KEY: {"S": chain_id},
        LEDGER_SORT_KEY: {"S": f"bare#{escalation.contact_id}"},
        "contactId": {"S": escalation.contact_id},
        "status": {"S": status},
        "level": {"N": "1"},
        "reason": {"S": escalation.reason},
        "targetType": {"S": "QUEUE"},
        "targetId": {"S": escalation.queue_id},
        "updatedAt": {"N": str(now)},
        "expiresAt": {"N": str(now + 400 * 86400)},
    }
    return item | {name: {"S": value} for name, value in extra.items()}


def bare9(connect: Any, dynamodb: Any, events: Any, escalation: Escalation, *, api_path: bool = False) -> str:
    """The nine calls, in the service's order for the path; returns the new contact's id."""

    def describe() -> str:
        contact = connect.describe_contact(InstanceId=escalation.instance_id, ContactId=escalation.contact_id)
        return str(contact["Contact"].get("InitialContactId") or escalation.contact_id)

    if api_path:
        chain_id = describe()
        key = _take_idempotency_record(dynamodb, escalation)
    else:
        key = _take_idempotency_record(dynamodb, escalation)
        chain_id = describe()
    dynamodb.query(
        TableName=escalation.ledger_table,
        KeyConditionExpression="#chain = :chain",
        ExpressionAttributeNames={"#chain": LEDGER_PARTITION_KEY},
        ExpressionAttributeValues={":chain": {"S": chain_id}},
        ConsistentRead=True,
    )
    dynamodb.put_item(TableName=escalation.ledger_table, Item=_ledger_item(chain_id, escalation, "PENDING"))
    answer = _transfer(connect, escalation)
    new_contact_id = str(answer["ContactId"])
    transferred = _ledger_item(chain_id, escalation, "TRANSFERRED", newContactId=new_contact_id)
    dynamodb.put_item(TableName=escalation.ledger_table, Item=transferred)
    events.put_events(
        Entries=[
            {
                "Source": EVENT_SOURCE,
                "DetailType": "EscalationTransferred",
                "Detail": json.dumps({name: next(iter(v.values())) for name, v in transferred.items()}),
                "EventBusName": escalation.event_bus,
            }
        ]
    )
    connect.update_contact_attributes(
        InstanceId=escalation.instance_id,
        InitialContactId=new_contact_id,
        Attributes={"escalationLevel": "1", "escalationReason": escalation.reason, "transferCount": "1"},
    )
    _complete_idempotency_record(dynamodb, escalation, key)
    return new_contact_id


# -- bareSched: the contact-event path's Scheduler calls, nothing around them -----------------------

# escalation.contract's names, spelled out for the same reason as the ledger's above.
CONTACT_EVENT_SOURCE = "aws.connect"
CONTACT_EVENT_DETAIL_TYPE = "Amazon Connect Contact Event"
SLA_SCHEDULE_PREFIX = "sla-"
SLA_WARNING_SCHEDULE_PREFIX = "slawarn-"
SLA_BREACH_DETAIL_TYPE = "Contact SLA Breached"
SLA_WARNING_DETAIL_TYPE = "Contact SLA Warning"
SLA_BREACH_SOURCE = "escalation.sla"


@dataclass(frozen=True)
class ScheduleSettings:
    """Where bareSched's schedules go and what they invoke (the handler's SLA_* settings)."""

    group: str
    target_arn: str
    role_arn: str
    dead_letter_arn: str
    # queue id -> (SLA seconds, warning percent or 0): the bench's SLA policies
    policies: dict[str, tuple[int, int]]


def _schedule_name(prefix: str, contact_id: str) -> str:
    return prefix + hashlib.sha256(contact_id.encode()).hexdigest()[:48]


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _create_schedule(scheduler: Any, settings: ScheduleSettings, name: str, at: datetime, event: Any) -> None:
    scheduler.create_schedule(
        Name=name,
        GroupName=settings.group,
        ScheduleExpression=f"at({at.strftime('%Y-%m-%dT%H:%M:%S')})",
        ScheduleExpressionTimezone="UTC",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={
            "Arn": settings.target_arn,
            "RoleArn": settings.role_arn,
            "Input": json.dumps(event),
            "RetryPolicy": {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 10},
            "DeadLetterConfig": {"Arn": settings.dead_letter_arn},
        },
    )


def _timer_input(detail_type: str, at: datetime, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "source": SLA_BREACH_SOURCE,
        "detail-type": detail_type,
        "time": at.isoformat().replace("+00:00", "Z"),
        "resources": [],
        "detail": detail,
    }


def bare_sched(scheduler: Any, event: dict[str, Any], settings: ScheduleSettings) -> tuple[int, int]:
    """Connect's contact event read as plainly as it can be, and the schedules ours creates or deletes
    for it: QUEUED on a queue with a policy creates the breach schedule (and the warning's when the
    policy has one); CONNECTED_TO_AGENT deletes both names; anything else makes no call.
    Returns (created, deleted)."""
    if event.get("source") != CONTACT_EVENT_SOURCE or event.get("detail-type") != CONTACT_EVENT_DETAIL_TYPE:
        return 0, 0
    detail = event["detail"]
    event_type = str(detail["eventType"]).upper()
    contact_id = str(detail["contactId"])
    if event_type == "CONNECTED_TO_AGENT":
        for prefix in (SLA_SCHEDULE_PREFIX, SLA_WARNING_SCHEDULE_PREFIX):
            scheduler.delete_schedule(Name=_schedule_name(prefix, contact_id), GroupName=settings.group)
        return 0, 2
    if event_type != "QUEUED":
        return 0, 0
    queue_arn = str((detail.get("queueInfo") or {}).get("queueArn") or "")
    policy = settings.policies.get(queue_arn.rsplit("/", 1)[-1])
    if policy is None:
        return 0, 0
    seconds, warn_percent = policy
    enqueued = _utc(detail["queueInfo"]["enqueueTimestamp"])
    breach_at = (enqueued + timedelta(seconds=seconds)).replace(microsecond=0)
    timer = {"contactId": contact_id, "queueId": queue_arn, "slaSeconds": seconds}
    timer["breachedAt"] = breach_at.isoformat()
    name = _schedule_name(SLA_SCHEDULE_PREFIX, contact_id)
    _create_schedule(
        scheduler, settings, name, breach_at, _timer_input(SLA_BREACH_DETAIL_TYPE, breach_at, timer)
    )
    if not warn_percent:
        return 1, 0
    warn_at = (enqueued + timedelta(seconds=seconds * warn_percent // 100)).replace(microsecond=0)
    warning = {**timer, "warnAtPercent": warn_percent, "warnedAt": warn_at.isoformat()}
    name = _schedule_name(SLA_WARNING_SCHEDULE_PREFIX, contact_id)
    _create_schedule(
        scheduler, settings, name, warn_at, _timer_input(SLA_WARNING_DETAIL_TYPE, warn_at, warning)
    )
    return 2, 0
