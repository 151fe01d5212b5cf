"""The Lambda entry point: one handler for every trigger, told apart by the event's shape.

Settings are validated at import (cold start), so a misconfigured deployment fails loudly with the
name of the bad variable; the adapters are built on first use and reused across invocations.

Cold start: the cyclic garbage collector is paused from the first import to the first answer. Init
allocates well over 100,000 objects that live as long as the process (modules, service models, pydantic
schemas); collecting while they pile up scans them over and over for little to free (the collector's
time per cold start is in bench/results/cold_start.md). After the first answer they are frozen (never
scanned again) and the collector runs as usual. Each trigger's module is imported when its first event
arrives, so an environment loads only the one it serves.
"""

import gc

gc.disable()

from functools import cache  # noqa: E402 - after gc.disable(), on purpose: the imports are init
from typing import Any  # noqa: E402

from aws_lambda_powertools.utilities.typing import LambdaContext  # noqa: E402

from escalation.composition import components  # noqa: E402
from escalation.config import settings  # noqa: E402
from escalation.contract import CONTACT_EVENT_SOURCE, REDRIVE_EVENT_KEY  # noqa: E402
from escalation.observability import logger, metrics, tracer  # noqa: E402
from escalation.snapshot_hooks import register as register_snapshot_hooks  # noqa: E402

try:
    settings()  # validated, not kept: components() reads them once on first use
except BaseException:
    gc.enable()  # no first answer will come to turn it back on
    raise
# With SnapStart (-c snapStart=true) Lambda runs them around the snapshot; otherwise they never run.
register_snapshot_hooks()


@cache
def _end_cold_start() -> None:
    """Once, after the first answer: what init built stays, so the collector stops scanning it."""
    gc.freeze()
    gc.enable()


def _is_api_gateway_event(event: dict[str, Any]) -> bool:
    return "httpMethod" in event and isinstance(event.get("requestContext"), dict)


def _dispatch(event: Any, context: LambdaContext) -> dict[str, Any]:
    components().bind(context)
    if isinstance(event, dict) and _is_api_gateway_event(event):
        from escalation.triggers import api  # noqa: PLC0415 - on its first event (module docstring)

        return api.handle(event, context)
    if isinstance(event, dict) and REDRIVE_EVENT_KEY in event:
        from escalation.triggers import redrive_event  # noqa: PLC0415 - likewise

        return redrive_event.handle(event)
    return _dispatch_event(event)


def _dispatch_event(event: Any) -> dict[str, Any]:
    if isinstance(event, dict) and event.get("source") == CONTACT_EVENT_SOURCE:
        # The busiest trigger: an environment serving only contact events never loads the others.
        from escalation.triggers import contact_event  # noqa: PLC0415 - likewise

        if contact_event.is_contact_event(event):
            return contact_event.handle(event)
    from escalation.triggers import sla_event  # noqa: PLC0415 - likewise

    if not isinstance(event, dict):
        return sla_event.refuse_invalid({"event": str(event)[:10_000]}, "the event is not a JSON object")
    if sla_event.is_sla_warning(event):
        return sla_event.handle_warning(event)
    if sla_event.is_eventbridge_event(event):
        return sla_event.handle(event)
    return sla_event.refuse_invalid(event, "neither an API Gateway request nor an EventBridge event")


@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(log_event=False, clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        return _dispatch(event, context)
    finally:
        _end_cold_start()
