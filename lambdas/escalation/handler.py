"""The Lambda entry point: one handler for every trigger, told apart by the event's shape.

Settings are validated at import (cold start), so a misconfigured deployment fails loudly with the
name of the bad variable; the adapters are built on first use and reused across invocations.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from escalation.composition import components
from escalation.config import settings
from escalation.observability import logger, metrics, tracer
from escalation.triggers import api, contact_event, sla_event

settings()  # validated, not kept: components() reads them once on first use


def _is_api_gateway_event(event: dict[str, Any]) -> bool:
    return "httpMethod" in event and isinstance(event.get("requestContext"), dict)


@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(log_event=False, clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    components().bind(context)
    if not isinstance(event, dict):
        return sla_event.refuse_invalid({"event": str(event)[:10_000]}, "the event is not a JSON object")
    if _is_api_gateway_event(event):
        return api.handle(event, context)
    if contact_event.is_contact_event(event):
        return contact_event.handle(event)
    if contact_event.is_sla_warning(event):
        return contact_event.handle_warning(event)
    if sla_event.is_eventbridge_event(event):
        return sla_event.handle(event)
    return sla_event.refuse_invalid(event, "neither an API Gateway request nor an EventBridge event")
