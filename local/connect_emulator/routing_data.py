"""UpdateContactRoutingData: a waiting contact's queue priority or routing age.

Assumptions, where Connect's documentation is silent (change them here if the service disagrees):
- A contact that is not waiting in a queue (no queue, already with an agent, or ended) answers
  ResourceConflictException (409); an unknown contact ResourceNotFoundException.
- `QueueTimeAdjustmentSeconds` adds to what the contact already has (DescribeContact reports the sum);
  `QueuePriority` replaces the priority. Both in one request, or neither, is InvalidParameterException
  (the API reference: "either ... but not both"). `RoutingCriteria` is not emulated (refused).
- DescribeContact reports `QueuePriority` and `QueueTimeAdjustmentSeconds` only once they were set
  (Connect may omit values never set). The change applies at once (the admin guide says it may take up
  to about a minute in Connect); the order it changes is routing_order.py's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ConnectError
from .records import Params, Result
from .routing_order import is_waiting

if TYPE_CHECKING:
    from .state import ConnectState


def _invalid_parameter(message: str) -> ConnectError:
    return ConnectError("InvalidParameterException", message, status=400)


def update_contact_routing_data(state: ConnectState, params: Params) -> Result:
    instance = state.instance(params)
    contact = instance.contact(params["ContactId"])
    priority = params.get("QueuePriority")
    adjustment = params.get("QueueTimeAdjustmentSeconds")
    if params.get("RoutingCriteria") is not None:
        raise _invalid_parameter("The Connect emulator does not support RoutingCriteria.")
    if (priority is None) == (adjustment is None):
        raise _invalid_parameter(
            "Either QueuePriority or QueueTimeAdjustmentInSeconds should be provided within the request "
            "body, but not both."
        )
    if not is_waiting(contact):
        raise ConnectError(
            "ResourceConflictException",
            f"Contact {contact.contact_id} is not waiting in a queue.",
            status=409,
        )
    if priority is not None:
        contact.queue_priority = int(priority)
    elif adjustment is not None:
        contact.queue_time_adjustment_seconds = (contact.queue_time_adjustment_seconds or 0) + int(adjustment)
    contact.last_update_timestamp = state.now()
    return {}
