"""Powertools Logger, Tracer and Metrics, and the one place that names what is measured.

Metric names come from contract.Metric (the CDK alarms and dashboard use the same names). Dimensions
stay low-cardinality: service on every metric, plus Trigger (API | EVENT) on requests and ErrorCode (a
closed set, see domain.policy.Failure) on Connect errors.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer, single_metric
from aws_lambda_powertools.metrics import MetricUnit

from escalation.contract import (
    ERROR_CODE_DIMENSION,
    METRICS_NAMESPACE,
    SERVICE_NAME,
    TRIGGER_DIMENSION,
    Metric,
)
from escalation.domain.errors import ConnectCallFailed
from escalation.domain.model import Status, Trigger
from escalation.domain.policy import Decision, Failure

logger = Logger(service=SERVICE_NAME)
# botocore is the only library here that calls out; patching everything X-Ray knows (the default) would
# import requests and others at every cold start, and trace each AWS call twice (again as httplib).
tracer = Tracer(service=SERVICE_NAME, patch_modules=("botocore",))
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)

_DECISION_METRICS = {
    Decision.RETRY: Metric.DECISION_RETRY,
    Decision.DEAD_LETTER: Metric.DECISION_DEAD_LETTER,
    Decision.ALERT: Metric.DECISION_ALERT,
    Decision.DUPLICATE: Metric.DECISION_DUPLICATE,
}


def _count_with(name: str, dimension: str, value: str) -> None:
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=1,
        namespace=METRICS_NAMESPACE,
        default_dimensions={"service": SERVICE_NAME},
    ) as metric:
        metric.add_dimension(name=dimension, value=value)


def count_requested(trigger: Trigger) -> None:
    _count_with(Metric.REQUESTED, TRIGGER_DIMENSION, trigger.value)


def count_result(status: Status, *, replayed: bool = False) -> None:
    if replayed:
        # A repeat answered from the idempotency store: no second transfer happened.
        count_decision(Decision.DUPLICATE)
        return
    if status is Status.SKIPPED:
        metrics.add_metric(name=Metric.SKIPPED, unit=MetricUnit.Count, value=1)
        return
    if status is Status.NOT_WAITING:
        # Picked up, ended or moved since the timer was armed (its cancelling event was late or lost).
        metrics.add_metric(name=Metric.SLA_BREACH_STALE, unit=MetricUnit.Count, value=1)
        return
    if status is Status.PRIORITIZED:
        metrics.add_metric(name=Metric.PRIORITIZED, unit=MetricUnit.Count, value=1)
        return
    metrics.add_metric(name=Metric.TRANSFERRED, unit=MetricUnit.Count, value=1)
    if status is Status.ALREADY_TRANSFERRED:
        count_decision(Decision.DUPLICATE)


def count_decision(decision: Decision) -> None:
    metrics.add_metric(name=_DECISION_METRICS[decision], unit=MetricUnit.Count, value=1)


def count_refused() -> None:
    metrics.add_metric(name=Metric.REFUSED, unit=MetricUnit.Count, value=1)


def count_connect_error(failure: Failure) -> None:
    _count_with(Metric.CONNECT_ERROR, ERROR_CODE_DIMENSION, failure.value)


def record_call_latency(operation: str, milliseconds: float) -> None:
    if operation == "TransferContact":
        metrics.add_metric(name=Metric.TRANSFER_LATENCY, unit=MetricUnit.Milliseconds, value=milliseconds)


def event_not_published(detail_type: str, why: str) -> None:
    """An escalation event was lost; the escalation stands."""
    metrics.add_metric(name=Metric.EVENT_PUBLISH_FAILED, unit=MetricUnit.Count, value=1)
    logger.warning("Escalation event not published", extra={"detail_type": detail_type, "why": why})


def attributes_not_written(failure: ConnectCallFailed) -> None:
    """The confirmed level could not be written on the new contact; the transfer and the ledger stand."""
    count_connect_error(failure.kind)
    logger.warning(
        "Contact attributes not written after the transfer",
        extra={"operation": failure.operation, "error_code": failure.error_code},
    )


def count(name: str, value: int = 1) -> None:
    """A plain count under the service dimension (the SLA timers' metrics)."""
    if value:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
