"""Builders for the handler's inputs (API Gateway v1 proxy events, SLA-breach events) and Connect answers."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from escalation.contract import (
    API_PATH,
    CONTACT_EVENT_DETAIL_TYPE,
    CONTACT_EVENT_SOURCE,
    SLA_BREACH_DETAIL_TYPE,
    SLA_BREACH_SOURCE,
)

INSTANCE_ID = "11111111-2222-3333-4444-555555555555"
OTHER_INSTANCE_ID = "99999999-8888-7777-6666-555555555555"
REGION = "us-east-1"
ACCOUNT = "123456789012"
INSTANCE_ARN = f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{INSTANCE_ID}"

AGENT_ID = "agent-1"
OTHER_AGENT_ID = "agent-2"
CONTACT_ID = "contact-1"

# The Cognito app client the agent desktop signs in with (CALLER_CLIENT_IDS in the unit environment).
CLIENT_ID = "desktop-app-client"
# What every accepted token carries: an ID token (not an access token) issued to that client.
ID_TOKEN_CLAIMS: dict[str, Any] = {"token_use": "id", "aud": CLIENT_ID}

# The caller that the API events carry by default: the contact's current agent.
AGENT_CLAIMS: dict[str, Any] = {
    **ID_TOKEN_CLAIMS,
    "cognito:username": "alice",
    "custom:connect_user_id": AGENT_ID,
    "cognito:groups": "agents",
}
OTHER_AGENT_CLAIMS: dict[str, Any] = {
    **ID_TOKEN_CLAIMS,
    "cognito:username": "bob",
    "custom:connect_user_id": OTHER_AGENT_ID,
    "cognito:groups": "agents",
}
SUPERVISOR_CLAIMS: dict[str, Any] = {
    **ID_TOKEN_CLAIMS,
    "cognito:username": "sam",
    "custom:connect_user_id": "agent-supervisor",
    "cognito:groups": "agents,supervisors",
}

_UNSET: Any = object()


def api_event(
    body: Any = _UNSET,
    *,
    claims: dict[str, Any] | None = _UNSET,
    headers: dict[str, str] | None = None,
    raw_body: str | None = None,
) -> dict[str, Any]:
    """A REST API (v1) Lambda proxy event for POST /escalations, as API Gateway sends it."""
    if body is _UNSET:
        body = {"contactId": CONTACT_ID, "reason": "CUSTOMER_REQUEST"}
    if claims is _UNSET:
        claims = AGENT_CLAIMS
    all_headers = {
        "Content-Type": "application/json",
        "Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.secret-token.signature",
        "Host": "abc123.execute-api.us-east-1.amazonaws.com",
        **(headers or {}),
    }
    authorizer: dict[str, Any] = {"claims": copy.deepcopy(claims)} if claims is not None else {}
    return {
        "resource": API_PATH,
        "path": API_PATH,
        "httpMethod": "POST",
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": API_PATH,
            "httpMethod": "POST",
            "path": f"/prod{API_PATH}",
            "stage": "prod",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "accountId": ACCOUNT,
            "apiId": "abc123",
            "protocol": "HTTP/1.1",
            "requestTimeEpoch": 1_700_000_000_000,
            "identity": {"sourceIp": "203.0.113.10", "userAgent": "agent-desktop"},
            "authorizer": authorizer,
        },
        "body": raw_body if raw_body is not None else json.dumps(body),
        "isBase64Encoded": False,
    }


def sla_event(
    contact_id: str | None = CONTACT_ID,
    *,
    instance_id: str | None = INSTANCE_ARN,
    reason: str | None = None,
    source: str = SLA_BREACH_SOURCE,
    detail_type: str = SLA_BREACH_DETAIL_TYPE,
    **detail_fields: Any,
) -> dict[str, Any]:
    """An SLA-breach event as EventBridge delivers it to the Lambda."""
    detail: dict[str, Any] = {
        "channel": "TASK",
        "queueId": "queue-tier1",
        "slaSeconds": 3600,
        "breachedAt": "2024-05-01T12:00:00Z",
        **detail_fields,
    }
    if contact_id is not None:
        detail["contactId"] = contact_id
    if instance_id is not None:
        detail["instanceId"] = instance_id
    if reason is not None:
        detail["reason"] = reason
    return {
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": "2024-05-01T12:00:01Z",
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


def api_get_event(
    resource: str, path_parameters: dict[str, str], *, claims: dict[str, Any] | None = _UNSET
) -> dict[str, Any]:
    """A REST API (v1) Lambda proxy event for a GET route, e.g. resource "/escalations/{escalationId}"."""
    path = resource.format(**path_parameters)
    event = api_event(claims=claims)
    event.update(
        resource=resource, path=path, httpMethod="GET", body=None, pathParameters=dict(path_parameters)
    )
    for headers in (event["headers"], event["multiValueHeaders"]):
        headers.pop("Content-Type")
    event["requestContext"].update(resourcePath=resource, httpMethod="GET", path=f"/prod{path}")
    return event


def contact(
    contact_id: str = CONTACT_ID,
    *,
    channel: str = "TASK",
    ended: bool = False,
    agent_id: str | None = AGENT_ID,
    queue_id: str | None = "queue-tier1",
    attributes: dict[str, str] | None = None,
    initial_contact_id: str | None = None,
    connected: bool = False,
) -> dict[str, Any]:
    """A DescribeContact response; `connected`: an agent has accepted the contact."""
    body: dict[str, Any] = {
        "Id": contact_id,
        "Arn": f"{INSTANCE_ARN}/contact/{contact_id}",
        "InitialContactId": initial_contact_id or contact_id,
        "Channel": channel,
        "InitiationMethod": "API",
        "InitiationTimestamp": datetime(2024, 5, 1, 11, 0, tzinfo=UTC),
        "Attributes": attributes or {},
    }
    if ended:
        body["DisconnectTimestamp"] = datetime(2024, 5, 1, 11, 30, tzinfo=UTC)
    if queue_id is not None:
        body["QueueInfo"] = {"Id": queue_id, "EnqueueTimestamp": datetime(2024, 5, 1, 11, 1, tzinfo=UTC)}
    if agent_id is not None:
        body["AgentInfo"] = {"Id": agent_id}
        if connected:
            body["AgentInfo"]["ConnectedToAgentTimestamp"] = datetime(2024, 5, 1, 11, 5, tzinfo=UTC)
    return {"Contact": body}


def contact_event(
    event_type: str,
    contact_id: str = CONTACT_ID,
    *,
    enqueued_at: datetime | None = None,
    queue_id: str = "queue-tier1",
    **detail_fields: Any,
) -> dict[str, Any]:
    """A Connect contact event as EventBridge delivers it (a TASK on this instance unless overridden)."""
    detail: dict[str, Any] = {
        "eventType": event_type,
        "contactId": contact_id,
        "initialContactId": contact_id,
        "channel": "Task",  # Connect's samples use mixed case
        "instanceArn": INSTANCE_ARN,
        "initiationMethod": "API",
        "someFutureField": {"ignored": True},
        **detail_fields,
    }
    if enqueued_at is not None:
        detail["queueInfo"] = {
            "queueArn": f"{INSTANCE_ARN}/queue/{queue_id}",
            "queueType": "STANDARD",
            "enqueueTimestamp": enqueued_at.isoformat().replace("+00:00", "Z"),
        }
    return {
        "version": "0",
        "id": f"event-{event_type}-{contact_id}",
        "detail-type": CONTACT_EVENT_DETAIL_TYPE,
        "source": CONTACT_EVENT_SOURCE,
        "account": ACCOUNT,
        "time": "2024-05-01T12:00:01Z",
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


def transferred(new_contact_id: str = "contact-2") -> dict[str, Any]:
    """A TransferContact response."""
    return {"ContactId": new_contact_id, "ContactArn": f"{INSTANCE_ARN}/contact/{new_contact_id}"}


def user_data(user_id: str, *, status: str = "Available", free_task_slots: int | None = 1) -> dict[str, Any]:
    """A GetCurrentUserData response for one agent."""
    entry: dict[str, Any] = {
        "User": {"Id": user_id, "Arn": f"{INSTANCE_ARN}/agent/{user_id}"},
        "Status": {"StatusName": status},
    }
    if free_task_slots is not None:
        entry["AvailableSlotsByChannel"] = {"TASK": free_task_slots}
    return {"UserDataList": [entry], "ApproximateTotalCount": 1}
