"""Amazon Connect through boto3: the ContactCenter port.

Endpoints come from botocore's own configuration (AWS_ENDPOINT_URL_CONNECT redirects it locally).
Retries run inside botocore (standard mode, same ClientToken), bounded by the invocation's remaining
time; what is left after them becomes a ConnectCallFailed with a Failure. TransferContact calls are
paced to this environment's share of the account's quota (adapters/pacing.py).
"""

import time
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from escalation.adapters.aws_errors import error_code
from escalation.adapters.pacing import Pacer
from escalation.domain.business_hours import EffectiveDay, EffectiveHours, QueueHours
from escalation.domain.errors import ConnectCallFailed
from escalation.domain.model import Contact, Target, TargetType, resource_id
from escalation.domain.policy import Failure
from escalation.ports import TransferReceipt

if TYPE_CHECKING:
    from mypy_boto3_connect import ConnectClient

CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 3.0
# Worst case for one attempt: both timeouts plus a backoff; used to fit attempts into the time left.
_ATTEMPT_BUDGET_MS = int((CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS + 1.0) * 1000)
_SAFETY_MARGIN_MS = 1_000
_UNBOUNDED_WAIT_MS = 30_000  # outside Lambda (no deadline bound): wait at most this long for a slot

_CODES: dict[str, Failure] = {
    "ThrottlingException": Failure.THROTTLED,
    "TooManyRequestsException": Failure.THROTTLED,
    "InternalServiceException": Failure.INTERNAL,
    "ServiceQuotaExceededException": Failure.QUOTA_EXCEEDED,
    "InvalidRequestException": Failure.INVALID_REQUEST,
    "InvalidParameterException": Failure.INVALID_REQUEST,
    "AccessDeniedException": Failure.ACCESS_DENIED,
    "IdempotencyException": Failure.IDEMPOTENCY_CONFLICT,
    "ResourceConflictException": Failure.RESOURCE_CONFLICT,
    "InvalidActiveRegionException": Failure.INACTIVE_REGION,
}
# UpdateContactRoutingData's InvalidParameterException has a row of its own; elsewhere it is the same
# as InvalidRequestException (a request Connect will not take as it is).
_ROUTING_DATA_CODES: dict[str, Failure] = {"InvalidParameterException": Failure.INVALID_PARAMETER}

# Operations whose ResourceNotFoundException can only mean the contact itself.
_CONTACT_OPERATIONS = frozenset({"DescribeContact", "UpdateContactAttributes", "UpdateContactRoutingData"})
# ... and those where it means a queue's calendar (the queue, or its hours of operation).
_CALENDAR_OPERATIONS = frozenset(
    {"DescribeQueue", "GetEffectiveHoursOfOperations", "DescribeHoursOfOperation"}
)

# A Connect client whose botocore retries stop after the given number of attempts (built with
# client_config(attempts)); the composition root builds them on one session and keeps them.
ConnectClients = Callable[[int], "ConnectClient"]


def client_config(max_attempts: int) -> Config:
    """The configuration of a Connect client that makes at most `max_attempts` attempts per call."""
    return Config(
        # Standard, not adaptive: adaptive's limiter is per client and covers every operation, so
        # one throttled transfer slowed DescribeContact too; pacing handles the transfer quota.
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        user_agent_extra="connect-escalation-service",
    )


def transfer_destination(target: Target) -> dict[str, str]:
    """TransferContact's destination members: exactly one of QueueId and UserId, never both."""
    key = "QueueId" if target.type is TargetType.QUEUE else "UserId"
    if not target.id or not target.flow_id:
        raise ValueError("a transfer target needs an id and a flow id")
    return {key: target.id, "ContactFlowId": target.flow_id}


def _classify(operation: str, error: ClientError) -> Failure:
    code = error_code(error)
    if operation == "UpdateContactRoutingData" and code in _ROUTING_DATA_CODES:
        return _ROUTING_DATA_CODES[code]
    if code == "ResourceNotFoundException":
        if operation in _CALENDAR_OPERATIONS:
            return Failure.CALENDAR_NOT_FOUND
        return Failure.CONTACT_NOT_FOUND if operation in _CONTACT_OPERATIONS else Failure.TARGET_NOT_FOUND
    return _CODES.get(code, Failure.OTHER)


class ConnectContactCenter:
    def __init__(
        self,
        instance_id: str,
        clients: ConnectClients,
        max_attempts: int,
        observe_latency: Callable[[str, float], None] | None = None,
        transfer_pacer: Pacer | None = None,
    ) -> None:
        """`clients(n)`: the client making n attempts; `transfer_pacer`: None leaves transfers unpaced."""
        self._instance_id = instance_id
        self._clients = clients
        self._max_attempts = max_attempts
        self._observe_latency = observe_latency
        self._remaining_ms: Callable[[], int] | None = None
        self._transfer_pacer = transfer_pacer

    def bind_deadline(self, remaining_ms: Callable[[], int] | None) -> None:
        """Bound retries by the invocation's remaining time (the Lambda context's clock)."""
        self._remaining_ms = remaining_ms

    def _attempts(self) -> int:
        if self._remaining_ms is None:
            return self._max_attempts
        fitting = (self._remaining_ms() - _SAFETY_MARGIN_MS) // _ATTEMPT_BUDGET_MS
        return max(1, min(self._max_attempts, fitting))

    def _call(
        self, operation: str, call: Callable[["ConnectClient"], Any], *, max_attempts: int | None = None
    ) -> Any:
        attempts = self._attempts() if max_attempts is None else max_attempts
        started = time.perf_counter()
        try:
            return call(self._clients(attempts))
        except ClientError as error:
            metadata = error.response.get("ResponseMetadata", {})
            raise ConnectCallFailed(
                kind=_classify(operation, error),
                operation=operation,
                error_code=error_code(error, "Unknown"),
                message=error.response.get("Error", {}).get("Message", "")[:500],
                attempts=int(metadata.get("RetryAttempts", 0)) + 1,
            ) from error
        except (BotocoreConnectionError, HTTPClientError) as error:
            raise ConnectCallFailed(
                kind=Failure.CONNECTION,
                operation=operation,
                error_code=type(error).__name__,
                message=str(error)[:500],
                attempts=attempts,
            ) from error
        finally:
            if self._observe_latency is not None:
                self._observe_latency(operation, (time.perf_counter() - started) * 1000)

    def describe_contact(self, contact_id: str) -> Contact:
        response = self._call(
            "DescribeContact",
            lambda client: client.describe_contact(InstanceId=self._instance_id, ContactId=contact_id),
        )
        contact = response["Contact"]
        return Contact(
            contact_id=contact.get("Id", contact_id),
            initial_contact_id=contact.get("InitialContactId") or contact.get("Id", contact_id),
            channel=str(contact.get("Channel", "")).upper(),
            ended=contact.get("DisconnectTimestamp") is not None,
            queue_id=contact.get("QueueInfo", {}).get("Id"),
            agent_id=contact.get("AgentInfo", {}).get("Id"),
            agent_connected=contact.get("AgentInfo", {}).get("ConnectedToAgentTimestamp") is not None,
            attributes=dict(contact.get("Attributes", {})),
            arn=contact.get("Arn"),
            queue_priority=contact.get("QueuePriority"),
            queue_time_adjustment_seconds=contact.get("QueueTimeAdjustmentSeconds"),
        )

    def is_agent_available(self, user_id: str, channel: str) -> bool:
        response = self._call(
            "GetCurrentUserData",
            lambda client: client.get_current_user_data(
                InstanceId=self._instance_id, Filters={"Agents": [user_id]}
            ),
        )
        for entry in response.get("UserDataList", []):
            if resource_id(entry.get("User", {}).get("Id", "")) != resource_id(user_id):
                continue
            status = entry.get("Status", {}).get("StatusName", "")
            free_slots = entry.get("AvailableSlotsByChannel", {}).get(channel)
            return status.lower() == "available" and (free_slots is None or free_slots > 0)
        return False

    def update_attributes(self, contact_id: str, attributes: Mapping[str, str]) -> None:
        self._call(
            "UpdateContactAttributes",
            lambda client: client.update_contact_attributes(
                InstanceId=self._instance_id, InitialContactId=contact_id, Attributes=dict(attributes)
            ),
        )

    def _pace_transfer(self) -> None:
        if self._transfer_pacer is None:
            return
        # Leave time for the call itself and its retries after the wait.
        remaining = self._remaining_ms() if self._remaining_ms else _UNBOUNDED_WAIT_MS
        self._transfer_pacer.acquire((remaining - _SAFETY_MARGIN_MS - _ATTEMPT_BUDGET_MS) / 1000)

    def transfer(self, contact_id: str, target: Target, client_token: str) -> TransferReceipt:
        destination = transfer_destination(target)
        self._pace_transfer()
        response = self._call(
            "TransferContact",
            lambda client: client.transfer_contact(
                InstanceId=self._instance_id, ContactId=contact_id, ClientToken=client_token, **destination
            ),
        )
        return TransferReceipt(
            new_contact_id=response.get("ContactId"),
            new_contact_arn=response.get("ContactArn"),
            attempts=int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0)) + 1,
        )

    def update_routing(self, contact_id: str, target: Target) -> None:
        """UpdateContactRoutingData with the target's queue priority or routing-age adjustment.

        An age adjustment adds to what the contact has and takes no ClientToken, so it is sent once,
        without botocore's retries: a lost answer must not add it twice (the use case decides a retry
        from what DescribeContact says afterwards). A priority is a value, safe to send again.
        """
        if target.priority is not None:
            priority = target.priority
            self._call(
                "UpdateContactRoutingData",
                lambda client: client.update_contact_routing_data(
                    InstanceId=self._instance_id, ContactId=contact_id, QueuePriority=priority
                ),
            )
            return
        if target.age_seconds is None:
            raise ValueError("an in-queue target needs a priority or an age adjustment")
        age = target.age_seconds
        self._call(
            "UpdateContactRoutingData",
            lambda client: client.update_contact_routing_data(
                InstanceId=self._instance_id, ContactId=contact_id, QueueTimeAdjustmentSeconds=age
            ),
            max_attempts=1,
        )

    def describe_queue(self, queue_id: str) -> QueueHours:
        response = self._call(
            "DescribeQueue",
            lambda client: client.describe_queue(InstanceId=self._instance_id, QueueId=queue_id),
        )
        queue = response["Queue"]
        return QueueHours(
            queue_id=queue.get("QueueId", queue_id),
            name=queue.get("Name"),
            hours_of_operation_id=queue.get("HoursOfOperationId"),
        )

    def effective_hours(self, hours_id: str, first: date, last: date) -> EffectiveHours:
        """The open intervals of each date from `first` to `last` (both included), overrides applied."""
        response = self._call(
            "GetEffectiveHoursOfOperations",
            lambda client: client.get_effective_hours_of_operations(
                InstanceId=self._instance_id,
                HoursOfOperationId=hours_id,
                FromDate=first.isoformat(),
                ToDate=last.isoformat(),
            ),
        )
        days = tuple(
            EffectiveDay(
                day=date.fromisoformat(entry["Date"]),
                intervals=tuple(
                    (_minutes(hour.get("Start")), _minutes(hour.get("End")))
                    for hour in entry.get("OperationalHours", [])
                ),
            )
            for entry in response.get("EffectiveHoursOfOperationList", [])
            if "Date" in entry
        )
        # The model leaves TimeZone optional: the hours of operation itself always names one.
        time_zone = response.get("TimeZone") or self._time_zone(hours_id)
        return EffectiveHours(time_zone=time_zone, days=tuple(sorted(days, key=lambda d: d.day)))

    def _time_zone(self, hours_id: str) -> str:
        response = self._call(
            "DescribeHoursOfOperation",
            lambda client: client.describe_hours_of_operation(
                InstanceId=self._instance_id, HoursOfOperationId=hours_id
            ),
        )
        return str(response["HoursOfOperation"]["TimeZone"])

    def user_name(self, user_id: str) -> str | None:
        response = self._call(
            "DescribeUser",
            lambda client: client.describe_user(InstanceId=self._instance_id, UserId=user_id),
        )
        user = response.get("User", {})
        identity = user.get("IdentityInfo", {})
        full = " ".join(part for part in (identity.get("FirstName"), identity.get("LastName")) if part)
        return full or user.get("Username") or None


def _minutes(time_slice: Mapping[str, Any] | None) -> int:
    if not time_slice:
        return 0
    return int(time_slice.get("Hours", 0)) * 60 + int(time_slice.get("Minutes", 0))
