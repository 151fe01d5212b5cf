"""Names shared by the Lambda, the CDK stack (infra/) and the local stack (local/).

This module imports only the standard library, so the CDK app and the local event bus can load it
without pulling in Powertools or boto3. Changing a value here changes the deployed rule, alarms and
dashboard too.
"""

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Final

SERVICE_NAME: Final = "escalation"
METRICS_NAMESPACE: Final = "ConnectEscalation"

# The API route the agent desktop calls.
API_PATH: Final = "/escalations"
# The ledger's read routes, in API Gateway's path syntax.
ESCALATION_PATH: Final = "/escalations/{escalationId}"
CONTACT_ESCALATIONS_PATH: Final = "/contacts/{contactId}/escalations"
# What a caller can do for a contact now (the desktop's form), with its one required query parameter.
ESCALATION_OPTIONS_PATH: Final = "/escalation-options"
ESCALATION_OPTIONS_QUERY: Final = "contactId"

# The escalation ledger table: one item per escalation, partitioned by contact chain.
LEDGER_PARTITION_KEY: Final = "chainId"
LEDGER_SORT_KEY: Final = "escalationId"
LEDGER_ESCALATION_INDEX: Final = "byEscalationId"  # partition key LEDGER_SORT_KEY, all attributes
LEDGER_TTL_ATTRIBUTE: Final = "expiresAt"
DEFAULT_LEDGER_RETENTION_DAYS: Final = 400

# The event tools.redrive invokes the handler with for a recorded API escalation:
# {REDRIVE_EVENT_KEY: {"request": <domain/recorded_request.py>, "operator": <who redrives>}}.
REDRIVE_EVENT_KEY: Final = "escalationRedrive"

# The events the service publishes about its escalations (detail-types in domain/ledger.py).
ESCALATION_EVENT_SOURCE: Final = "escalation.service"

# The SLA-breach event, and the one EventBridge pattern that the deployed rule and the local bus match.
SLA_BREACH_SOURCE: Final = "escalation.sla"
SLA_BREACH_DETAIL_TYPE: Final = "Contact SLA Breached"
SLA_BREACH_EVENT_PATTERN: Final[dict[str, list[str]]] = {
    "source": [SLA_BREACH_SOURCE],
    "detail-type": [SLA_BREACH_DETAIL_TYPE],
}

# Connect's own contact events (best-effort, unordered), which arm and cancel the SLA timers.
CONTACT_EVENT_SOURCE: Final = "aws.connect"
CONTACT_EVENT_DETAIL_TYPE: Final = "Amazon Connect Contact Event"


class ContactEventType(StrEnum):
    """Connect's contact-event types the SLA timers act on; other contact events never reach the
    handler, and the handler ignores them anyway."""

    INITIATED = "INITIATED"
    QUEUED = "QUEUED"
    CONNECTED_TO_AGENT = "CONNECTED_TO_AGENT"
    DISCONNECTED = "DISCONNECTED"


TIMER_CONTACT_EVENT_TYPES: Final = tuple(event_type.value for event_type in ContactEventType)
# Connect's channels, and the ones SLA timers time unless deployed with `-c timedChannels=...`
# (TIMED_CHANNELS_CONTEXT; the function reads the deployed list from EnvVar.SLA_TIMED_CHANNELS).
CHANNEL_NAMES: Final = ("VOICE", "CHAT", "TASK", "EMAIL")
DEFAULT_TIMED_CHANNEL_NAMES: Final = ("TASK", "EMAIL")
TIMED_CHANNELS_CONTEXT: Final = "timedChannels"


def contact_event_pattern(
    instance_arn: str, timed_channels: Sequence[str] = DEFAULT_TIMED_CHANNEL_NAMES
) -> dict[str, object]:
    """The rule pattern for one instance's contact events that SLA timers act on, for exactly the
    deployed channels: the deployed rule and the local bus share it. Both fields in any casing, as the
    handler reads them (channel casing differs between Connect's samples and its API)."""
    return {
        "source": [CONTACT_EVENT_SOURCE],
        "detail-type": [CONTACT_EVENT_DETAIL_TYPE],
        "detail": {
            "instanceArn": [instance_arn],
            "eventType": [{"equals-ignore-case": name} for name in TIMER_CONTACT_EVENT_TYPES],
            "channel": [{"equals-ignore-case": name} for name in timed_channels],
        },
    }


# SLA timers: one-time EventBridge Scheduler schedules in one group per stack. A schedule's name is
# derived from the contact id (a duplicate QUEUED event is a no-op); its target is the handler itself,
# with an SLA_BREACH_SOURCE event as input (SLA_WARNING_DETAIL_TYPE for the warning schedule).
SLA_SCHEDULE_PREFIX: Final = "sla-"
SLA_WARNING_SCHEDULE_PREFIX: Final = "slawarn-"
SLA_WARNING_DETAIL_TYPE: Final = "Contact SLA Warning"


# Lambda's asynchronous invocation of the handler (SLA-breach and contact events, the timers' schedules):
# the stack's event invoke config, which the local stack and the burst benchmark model. A failed event is
# retried this many times (Lambda waits about 1, then 2 minutes), and an event older than the age goes to
# the on-failure destination: an SLA escalation an hour late is better handled by a person from the DLQ.
ASYNC_RETRY_ATTEMPTS: Final = 2
ASYNC_MAX_EVENT_AGE_SECONDS: Final = 3600


# The Connect operations the handler calls: the CDK stack grants exactly these.
CONNECT_ACTIONS: Final = (
    "connect:DescribeContact",
    "connect:TransferContact",
    "connect:UpdateContactAttributes",
    "connect:GetCurrentUserData",
    # Business-hours SLA clocks: a queue's hours of operation and their effective open intervals.
    "connect:DescribeQueue",
    "connect:GetEffectiveHoursOfOperations",
    "connect:DescribeHoursOfOperation",
    "connect:UpdateContactRoutingData",
    # Names for the desktop's escalation options (GET /escalation-options; DescribeQueue above too).
    "connect:DescribeUser",
)

# The services every escalation calls, with the operations it calls on each. The function ships their
# botocore models trimmed to these operations (`escalation/botocore_models`, `make models`): building a
# client from Connect's full model (405 operations) is a large part of a cold start. The stack grants
# exactly these actions on these services, which the infra tests check.
TRIMMED_MODEL_OPERATIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "connect": tuple(action.removeprefix("connect:") for action in CONNECT_ACTIONS),
    "dynamodb": ("DeleteItem", "GetItem", "PutItem", "Query", "UpdateItem"),  # idempotency, ledger
    "events": ("PutEvents",),
}


class EnvVar:
    """Environment variables the handler reads (validated once, in config.py)."""

    CONNECT_INSTANCE_ID: Final = "CONNECT_INSTANCE_ID"
    # The instance's full ARN (partition, Region, account, id): contact events must name exactly it.
    CONNECT_INSTANCE_ARN: Final = "CONNECT_INSTANCE_ARN"
    ROUTING_RULES: Final = "ROUTING_RULES"  # a file path (relative to the Lambda code) or "ssm:<name>"
    DLQ_URL: Final = "DLQ_URL"
    ALERT_TOPIC_ARN: Final = "ALERT_TOPIC_ARN"
    IDEMPOTENCY_TABLE: Final = "IDEMPOTENCY_TABLE"
    CALLER_USER_ID_CLAIM: Final = "CALLER_USER_ID_CLAIM"  # JWT claim holding the caller's Connect user id
    SUPERVISOR_GROUP: Final = "SUPERVISOR_GROUP"  # Cognito group whose members may escalate any contact
    CONNECT_MAX_ATTEMPTS: Final = "CONNECT_MAX_ATTEMPTS"  # botocore attempts per Connect call
    # This environment's share of the account's TransferContact quota, calls/s (0: no pacing). The
    # stack sets it to the quota divided by the reserved concurrency.
    CONNECT_TRANSFER_RATE: Final = "CONNECT_TRANSFER_RATE"
    ROUTING_RULES_CACHE_SECONDS: Final = "ROUTING_RULES_CACHE_SECONDS"
    DESKTOP_ORIGIN: Final = "DESKTOP_ORIGIN"  # the agent desktop's origin, for CORS (optional)
    # App client ids whose ID tokens the API accepts (comma-separated).
    CALLER_CLIENT_IDS: Final = "CALLER_CLIENT_IDS"
    # SLA timers (absent or "false": no timers). The handler creates schedules in SLA_SCHEDULE_GROUP that
    # invoke SLA_TIMER_TARGET_ARN (the handler) as SLA_SCHEDULER_ROLE_ARN, with SLA_SCHEDULE_DLQ_ARN.
    SLA_TIMERS_ENABLED: Final = "SLA_TIMERS_ENABLED"
    SLA_SCHEDULE_GROUP: Final = "SLA_SCHEDULE_GROUP"
    SLA_TIMER_TARGET_ARN: Final = "SLA_TIMER_TARGET_ARN"
    SLA_SCHEDULER_ROLE_ARN: Final = "SLA_SCHEDULER_ROLE_ARN"
    SLA_SCHEDULE_DLQ_ARN: Final = "SLA_SCHEDULE_DLQ_ARN"
    SLA_TIMED_CHANNELS: Final = "SLA_TIMED_CHANNELS"  # comma-separated; default DEFAULT_TIMED_CHANNEL_NAMES
    # Seconds a queue's hours id and its effective hours are remembered for business-hours SLA clocks
    # (default DEFAULT_SLA_CALENDAR_CACHE_SECONDS; 0 remembers nothing).
    SLA_CALENDAR_CACHE_SECONDS: Final = "SLA_CALENDAR_CACHE_SECONDS"
    # Seconds during which the same escalation failing for the same error code alerts only once
    # (default 86400; 0 alerts every time).
    ALERT_DEDUP_WINDOW_SECONDS: Final = "ALERT_DEDUP_WINDOW_SECONDS"
    LEDGER_TABLE: Final = "LEDGER_TABLE"  # the escalation ledger's DynamoDB table
    LEDGER_RETENTION_DAYS: Final = "LEDGER_RETENTION_DAYS"  # how long ledger items live (TTL)
    EVENT_BUS_NAME: Final = "EVENT_BUS_NAME"  # where escalation events go (default: the default bus)
    # The KMS HMAC key (id, ARN or alias) whose MAC every dead-letter record carries (record_mac.py).
    DEAD_LETTER_MAC_KEY_ID: Final = "DEAD_LETTER_MAC_KEY_ID"


DEFAULT_ROUTING_RULES_FILE: Final = "escalation/routing_rules.json"
DEFAULT_CALLER_USER_ID_CLAIM: Final = "custom:connect_user_id"
DEFAULT_SUPERVISOR_GROUP: Final = "supervisors"
DEFAULT_SLA_CALENDAR_CACHE_SECONDS: Final = 300


class Metric:
    """CloudWatch metric names (EMF, namespace METRICS_NAMESPACE, dimension service=SERVICE_NAME)."""

    REQUESTED: Final = "EscalationRequested"  # extra dimension Trigger = API | EVENT
    TRANSFERRED: Final = "EscalationTransferred"
    PRIORITIZED: Final = "EscalationPrioritized"  # moved up in its queue (UpdateContactRoutingData)
    SKIPPED: Final = "EscalationSkipped"  # breach event for a contact that has already ended
    REFUSED: Final = "EscalationRefused"  # bad input, not authorised, or not transferable
    DECISION_RETRY: Final = "DecisionRetry"
    DECISION_DEAD_LETTER: Final = "DecisionDeadLetter"
    DECISION_ALERT: Final = "DecisionAlert"
    DECISION_DUPLICATE: Final = "DecisionDuplicate"
    CONNECT_ERROR: Final = "ConnectError"  # extra dimension ErrorCode (a bounded set)
    EVENT_PUBLISH_FAILED: Final = "EscalationEventPublishFailed"  # the escalation itself stood
    TRANSFER_LATENCY: Final = "TransferLatency"  # milliseconds, one TransferContact call with its retries
    SLA_TIMER_ARMED: Final = "SlaTimerArmed"  # a schedule created for a queued contact
    SLA_TIMER_CANCELLED: Final = "SlaTimerCancelled"  # picked up, ended or transferred away in time
    SLA_WARNING: Final = "SlaWarning"  # the warning schedule fired: an alert, nothing moved
    SLA_BREACH_STALE: Final = "SlaBreachStale"  # a breach whose contact was no longer queued: skipped
    # A dead-letter record SQS did not take: the escalation is only in the logs (ERROR) and the alert.
    DEAD_LETTER_WRITE_FAILED: Final = "DeadLetterWriteFailed"
    ALERT_PUBLISH_FAILED: Final = "AlertPublishFailed"  # SNS did not take an alert (logged at ERROR)
    # Connect confirmed a transfer but the idempotency store could not keep the result (logged at ERROR).
    RESULT_NOT_STORED: Final = "ResultNotStored"
    # A business-clock timer that fired before its recomputed deadline (the hours changed): armed again.
    SLA_TIMER_REARMED: Final = "SlaTimerRearmed"
    # A business-clock contact whose calendar has no open time within 90 days: no timer armed.
    SLA_NO_BUSINESS_HOURS: Final = "SlaNoBusinessHours"


TRIGGER_DIMENSION: Final = "Trigger"
ERROR_CODE_DIMENSION: Final = "ErrorCode"
