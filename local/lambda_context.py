"""A LambdaContext look-alike for running the handler in process (used by local.api and local.bus).

It carries the attributes the Python runtime's context has and Powertools reads, and a real countdown in
get_remaining_time_in_millis() so code that budgets its retries against the deadline behaves as deployed.
The deadline is not enforced: a Python thread cannot be interrupted, so callers check the elapsed time
after the handler returns (see local.lambda_invoker) instead.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account, so ARNs line up with the local resources
DEFAULT_FUNCTION_NAME = "escalation"
DEFAULT_MEMORY_MB = 256
DEFAULT_TIMEOUT_SECONDS = 30.0
# Lambda's asynchronous retries: at most two, about 1 and then 2 minutes after a failure; an invoke
# config may keep fewer (the stack's: contract.ASYNC_RETRY_ATTEMPTS). Local runs shorten the waits.
# Lambda's own defaults here: this module is standard library only (local.send_event runs without
# PYTHONPATH); local.stack applies the stack's settings from the contract.
LAMBDA_RETRY_DELAYS: tuple[float, ...] = (60.0, 120.0)
DEFAULT_RETRY_DELAYS = tuple(delay / 120 for delay in LAMBDA_RETRY_DELAYS)  # (0.5, 1.0)
DEFAULT_MAX_EVENT_AGE_SECONDS = 6 * 3600.0  # Lambda's default (and maximum) without an invoke config

# The handler's own signature uses Powertools' LambdaContext; Any keeps that assignable to this alias.
LambdaHandler = Callable[[dict[str, Any], Any], Any]


def function_arn(
    function_name: str, *, region: str = DEFAULT_REGION, account_id: str = DEFAULT_ACCOUNT_ID
) -> str:
    """The unqualified ARN of a function, as Lambda prints it."""
    return f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"


@dataclass(frozen=True)
class FunctionConfig:
    """One function's configuration, as Lambda holds it: what contexts and the invoker are built from."""

    function_name: str = DEFAULT_FUNCTION_NAME
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    memory_mb: int = DEFAULT_MEMORY_MB
    reserved_concurrency: int = 1  # concurrent execution environments
    retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS  # asynchronous retries, one delay each
    max_event_age_seconds: float = DEFAULT_MAX_EVENT_AGE_SECONDS
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID

    def __post_init__(self) -> None:
        if self.reserved_concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if len(self.retry_delays) > len(LAMBDA_RETRY_DELAYS):
            raise ValueError("Lambda retries an asynchronous invocation at most twice")
        object.__setattr__(self, "retry_delays", tuple(self.retry_delays))

    @property
    def function_arn(self) -> str:
        return function_arn(self.function_name, region=self.region, account_id=self.account_id)


@dataclass
class LocalLambdaContext:
    """The attributes of the Lambda Python runtime's context object, plus a live deadline."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    timeout_seconds: float
    _deadline: float = field(repr=False)
    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def new_context(
    function: FunctionConfig | None = None, *, request_id: str | None = None
) -> LocalLambdaContext:
    """A context for one invocation of `function` (default: FunctionConfig()); its countdown starts now."""
    function = function or FunctionConfig()
    today = datetime.now(UTC).strftime("%Y/%m/%d")
    return LocalLambdaContext(
        function_name=function.function_name,
        function_version="$LATEST",
        invoked_function_arn=function.function_arn,
        memory_limit_in_mb=function.memory_mb,
        aws_request_id=request_id or str(uuid.uuid4()),
        log_group_name=f"/aws/lambda/{function.function_name}",
        log_stream_name=f"{today}/[$LATEST]{secrets.token_hex(16)}",
        timeout_seconds=function.timeout_seconds,
        _deadline=time.monotonic() + function.timeout_seconds,
    )
