"""The whole product on this machine: emulated Connect, emulated AWS, the local API and event bus.

    with LocalStack(StackOptions(api_port=0)) as stack:
        stack.api.url, stack.bus.endpoint_url, stack.connect, stack.aws

The handler is the production one (`escalation.handler.handler`), run in process. Only botocore's
standard endpoint variables point it here: AWS_ENDPOINT_URL (moto) and AWS_ENDPOINT_URL_CONNECT (the
Connect emulator). The environment is set on start and restored on stop. The emulator enforces the
handler's Connect permissions as the CDK stack grants them (`infra.connect_policy`), and the local API
gives API Gateway's own answers as the stack shapes them (`local.gateway`).

One difference from AWS: the handler's invocations run on threads of one process, where Lambda gives
each concurrent invocation its own execution environment. API requests are therefore served one at a
time (Powertools' resolver holds the current request on a module-level app); event invocations run
on the bus's K workers, and since Powertools' Logger and Metrics are process-wide, concurrent
invocations may flush each other's metrics (totals are kept). The benchmarks use processes instead.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from escalation import composition, observability
from escalation.contract import (
    ASYNC_MAX_EVENT_AGE_SECONDS,
    ASYNC_RETRY_ATTEMPTS,
    ESCALATION_EVENT_SOURCE,
    METRICS_NAMESPACE,
    SERVICE_NAME,
    EnvVar,
)
from escalation.domain.ledger import LedgerEntry
from infra import package
from infra.connect_policy import connect_statements, instance_arn
from infra.gateway_responses import THROTTLE_RATE
from local import connect_emulator as emulator
from local.api import ApiOptions, LocalApi
from local.aws import LocalAws
from local.background_server import Service
from local.bus import BusOptions, LocalBus
from local.dev_tokens import LOCAL_CLIENT_ID
from local.fault_proxy import PROXIED_ENDPOINTS, FaultPlan, FaultProxies
from local.lambda_context import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    DEFAULT_RETRY_DELAYS,
    FunctionConfig,
    LambdaHandler,
)
from local.lambda_invoker import AsyncInvoker
from local.lambda_stdout import LambdaStdout
from local.run_info import DEFAULT_RUN_DIR
from local.scheduler import Clock, LocalScheduler, SchedulerOptions
from local.sla_wiring import SlaTimerWiring, sla_env

REPO_ROOT = Path(__file__).resolve().parents[1]
RUN_DIR = DEFAULT_RUN_DIR
INSTANCE_ID = "demo-instance"
# The seeded queue on business hours: Monday-Friday 09:00-17:00 in New York.
BUSINESS_HOURS_QUEUE = "queue-email-ny"
BUSINESS_HOURS_ID = "hours-new-york"
BUSINESS_HOURS_TIME_ZONE = "America/New_York"
ROUTING_RULES_FILE = REPO_ROOT / "lambdas" / "escalation" / "routing_rules.json"

# Connect's documented TransferContact quota (CONNECT_API.md). Other operations have their own quotas,
# not given there; a looser bucket keeps them from masking the one this service is built around.
TRANSFER_RATE, TRANSFER_BURST = 2.0, 5
OTHER_RATE, OTHER_BURST = 20.0, 40
IDLE_TIMEOUT_SECONDS = 90.0
PARTITION = "aws"
LOCAL_ACCOUNT = (DEFAULT_REGION, DEFAULT_ACCOUNT_ID, INSTANCE_ID)


def deployed_policy() -> emulator.PolicySeed:
    """The handler's Connect permissions exactly as the CDK stack grants them, for the local instance."""
    return emulator.PolicySeed(connect_statements(PARTITION, DEFAULT_REGION, DEFAULT_ACCOUNT_ID, INSTANCE_ID))


def policy_without_instance_grant(action: str) -> emulator.PolicySeed:
    """The deployed policy with the bare instance ARN left out of `action`'s grant: the easy mistake
    that denies every TransferContact (its required resources include the instance itself)."""
    base = instance_arn(PARTITION, DEFAULT_REGION, DEFAULT_ACCOUNT_ID, INSTANCE_ID)
    statements: list[dict[str, Any]] = []
    for statement in connect_statements(PARTITION, DEFAULT_REGION, DEFAULT_ACCOUNT_ID, INSTANCE_ID):
        if action not in statement["Action"]:
            statements.append(statement)
            continue
        others = [name for name in statement["Action"] if name != action]
        if others:
            statements.append({**statement, "Action": others})
        resources = [arn for arn in statement["Resource"] if arn != base]
        statements.append({**statement, "Action": [action], "Resource": resources})
    return emulator.PolicySeed(statements)


@dataclass
class StackOptions:
    api_port: int = 3000  # 0: a free port
    transfer_rate: float | None = TRANSFER_RATE  # None: no quota
    transfer_burst: int = TRANSFER_BURST
    api_throttle_rate: float | None = THROTTLE_RATE  # the stage throttle (burst: the stack's); None: none
    concurrency: int = 2  # the bus's execution environments (the CDK stack's reserved concurrency)
    # Lambda's async retries, as many as the stack's invoke config keeps, shortened.
    retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS[:ASYNC_RETRY_ATTEMPTS]
    seed: int | None = 7
    rules_in_ssm: bool = False  # serve the routing rules from an SSM parameter instead of the file
    capture_output: bool = True  # route the handler's JSON logs/EMF to a file and count metrics
    handler_log: Path = RUN_DIR / "handler.log"  # where captured JSON logs go (appended, line by line)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    # SLA timers: the emulator's contact events reach the handler and a local scheduler fires its
    # schedules (by scheduler_clock: time.time, or a FastClock).
    sla_timers: bool = False
    scheduler_clock: Clock = time.time
    # Put a fault-injecting proxy (local.fault_proxy) between the handler's clients and moto, the
    # Connect emulator and the bus; its rules are `LocalStack.faults`.
    fault_proxy: bool = False


def function_config(options: StackOptions) -> FunctionConfig:
    """The local function as the CDK stack configures it (reserved concurrency, async invoke config)."""
    return FunctionConfig(
        reserved_concurrency=options.concurrency,
        retry_delays=options.retry_delays,
        max_event_age_seconds=ASYNC_MAX_EVENT_AGE_SECONDS,
    )


def seed_instance(connect: emulator.EmulatorAdmin) -> None:
    """The contact centre the demo and `make serve` use (ids match the bundled routing rules)."""
    connect.add_instance(emulator.InstanceSeed(INSTANCE_ID))
    for queue_id, name in (
        ("queue-tier1", "Tier 1"),
        ("queue-tier2", "Tier 2"),
        ("queue-supervisors", "Supervisors"),
    ):
        connect.add_queue(emulator.QueueSeed(INSTANCE_ID, queue_id, name))
    # One queue on business hours, for business-clock SLA policies (docs/sla-timers.md).
    weekdays = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
    connect.add_hours_of_operation(
        emulator.HoursSeed(
            INSTANCE_ID,
            BUSINESS_HOURS_ID,
            "New York office",
            BUSINESS_HOURS_TIME_ZONE,
            [{"day": day, "start": "09:00", "end": "17:00"} for day in weekdays],
        )
    )
    connect.add_queue(
        emulator.QueueSeed(
            INSTANCE_ID, BUSINESS_HOURS_QUEUE, "Email (New York)", hours_of_operation_id=BUSINESS_HOURS_ID
        )
    )
    connect.add_flow(emulator.FlowSeed(INSTANCE_ID, "flow-transfer-to-queue", "QUEUE_TRANSFER"))
    connect.add_flow(emulator.FlowSeed(INSTANCE_ID, "flow-transfer-to-agent", "AGENT_TRANSFER"))
    slots = {"TASK": 3, "EMAIL": 3}
    for agent_id, status, username, first_name, last_name in (
        ("agent-alice", "Available", "alice", "Alice", "Martin"),
        ("agent-bob", "Available", "bob", "Bob", "Nguyen"),
        ("agent-account-manager", "Offline", "account-manager", "Ana", "Silva"),
    ):
        connect.add_agent(
            emulator.AgentSeed(INSTANCE_ID, agent_id, status, slots, None, username, first_name, last_name)
        )


def one_event_at_a_time(handler: LambdaHandler) -> LambdaHandler:
    """Every invocation, synchronous (the API) or asynchronous (the bus, redrives, timers), runs one at a
    time, as in one Lambda execution environment.

    The handler's module state is one environment's: Powertools' REST resolver keeps the current request
    on the module-level app, the Logger its keys, the components the invocation's deadline. Lambda never
    runs two events at once in one environment; here every invocation shares this process, so they take
    turns. Concurrent clicks still race for the idempotency record in DynamoDB as across environments.
    """
    lock = threading.Lock()

    def serialised(event: dict[str, Any], context: Any) -> Any:
        with lock:
            return handler(event, context)

    return serialised


class LocalStack(Service):
    def __init__(self, options: StackOptions | None = None) -> None:
        self.options = options or StackOptions()
        self.connect = emulator.ConnectEmulator(
            emulator.EmulatorOptions(
                rate=OTHER_RATE,
                burst=OTHER_BURST,
                seed=self.options.seed,
                quotas={"TransferContact": (self.options.transfer_rate, self.options.transfer_burst)},
                region=DEFAULT_REGION,
                account_id=DEFAULT_ACCOUNT_ID,
            )
        )
        self.aws = LocalAws(
            routing_rules=ROUTING_RULES_FILE.read_text() if self.options.rules_in_ssm else None
        )
        self.output: LambdaStdout | None = None
        self._saved_env: dict[str, str | None] = {}
        self._saved_stdout: Any = None
        self._bus: LocalBus | None = None
        self._api: LocalApi | None = None
        self.sla_timers: SlaTimerWiring | None = None
        self.faults = FaultPlan()
        self._proxies = FaultProxies(self.faults, enabled=self.options.fault_proxy)
        if self.options.sla_timers:
            clock = SchedulerOptions(clock=self.options.scheduler_clock)
            self.sla_timers = SlaTimerWiring(self.aws, self.connect, clock)

    @property
    def bus(self) -> LocalBus:
        assert self._bus is not None, "LocalStack is not started"
        return self._bus

    @property
    def api(self) -> LocalApi:
        assert self._api is not None, "LocalStack is not started"
        return self._api

    def start(self) -> LocalStack:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self.connect.start()
        seed_instance(self.connect)
        self.connect.set_policy(deployed_policy())
        self.aws.start()
        env = self.aws.handler_env(self.connect.endpoint_url)
        env.update(
            {
                EnvVar.CONNECT_INSTANCE_ID: INSTANCE_ID,
                EnvVar.CONNECT_INSTANCE_ARN: instance_arn(
                    PARTITION, DEFAULT_REGION, DEFAULT_ACCOUNT_ID, INSTANCE_ID
                ),
                EnvVar.ROUTING_RULES: self.aws.routing_rules_env or str(ROUTING_RULES_FILE),
                EnvVar.CALLER_CLIENT_IDS: LOCAL_CLIENT_ID,
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
                "POWERTOOLS_LOG_LEVEL": "INFO",
                "AWS_LAMBDA_FUNCTION_NAME": "escalation",
                # As the CDK stack sets it: each environment's share of the transfer quota.
                EnvVar.CONNECT_TRANSFER_RATE: self._transfer_share(),
                **package.RUNTIME_ENVIRONMENT,
            }
        )
        function = function_config(self.options)
        if self.sla_timers is not None:
            env.update(sla_env(self.aws, function))
        env.update(self.options.extra_env)
        env.update({name: self._proxies.front(name, env[name]) for name in PROXIED_ENDPOINTS if name in env})
        self._apply_env(env)
        if self.options.capture_output:
            # Before the handler is imported: Powertools' Logger binds sys.stdout when it is created.
            self._saved_stdout = sys.stdout
            self.output = LambdaStdout(sys.stdout, self.options.handler_log)
            sys.stdout = self.output
        handler = self._fresh_handler()
        if self.output is not None:
            # The Logger may have been created before stdout was replaced (an earlier import).
            log_handler = observability.logger.registered_handler
            if isinstance(log_handler, logging.StreamHandler):
                log_handler.setStream(self.output)
        handler = one_event_at_a_time(handler)  # the API and the asynchronous invocations alike
        bus_options = BusOptions(dlq_url=self.aws.dlq_url, sqs_client=self.aws.sqs())
        self._bus = LocalBus(AsyncInvoker(handler, function), bus_options).start()
        events_url = self._proxies.front("AWS_ENDPOINT_URL_EVENTBRIDGE", self._bus.endpoint_url)
        self._apply_env(
            {
                # botocore names the variable after the service id: EventBridge, not "events".
                "AWS_ENDPOINT_URL_EVENTBRIDGE": events_url,
                "AWS_ENDPOINT_URL_LAMBDA": self._bus.endpoint_url,
            }
        )
        if self.sla_timers is not None:
            lambda_client = boto3.client("lambda", endpoint_url=self._bus.endpoint_url)
            self.sla_timers.start(self._bus, lambda_client, instance_arn(PARTITION, *LOCAL_ACCOUNT))
        openapi = REPO_ROOT / "openapi.json"
        self._api = LocalApi(
            handler,
            options=ApiOptions(
                port=self.options.api_port,
                openapi_path=openapi if openapi.exists() else None,
                desktop_origin=env.get(EnvVar.DESKTOP_ORIGIN) or None,
                throttle_rate=self.options.api_throttle_rate,
            ),
        ).start()

    def _transfer_share(self) -> str:
        # Here every "environment" is a thread of this one process, sharing one Connect adapter and
        # so one pacer: the process's share is the whole quota (the stack divides it by K).
        rate = self.options.transfer_rate
        return f"{rate:g}" if rate else "0"

    @staticmethod
    def _fresh_handler() -> LambdaHandler:
        # The handler module validates settings at import and caches clients per process: start clean
        # so this stack's environment is the one in force.
        composition.reset()
        sys.modules.pop("escalation.handler", None)
        # The API trigger reads DESKTOP_ORIGIN (its CORS) at import; the handler imports it from its
        # package, which keeps the module once loaded: reload it in place.
        api_trigger = sys.modules.get("escalation.triggers.api")
        if api_trigger is not None:
            importlib.reload(api_trigger)
        handler: LambdaHandler = importlib.import_module("escalation.handler").handler
        return handler

    def _apply_env(self, env: Mapping[str, str]) -> None:
        for name, value in env.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def stop(self) -> None:
        if self.sla_timers is not None:
            self.sla_timers.stop()
        for component in (self._api, self._bus):
            if component is not None:
                component.stop()
        self._proxies.stop()
        self.aws.stop()
        self.connect.stop()
        if self._saved_stdout is not None:
            sys.stdout = self._saved_stdout
            self._saved_stdout = None
        if self.output is not None:
            self.output.flush()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()

    def reset(self, idle_timeout: float = IDLE_TIMEOUT_SECONDS) -> None:
        """Back to the state after start, keeping data (contacts, ledger, idempotency records).

        Waits for the bus to be idle (TimeoutError after idle_timeout), then: no Connect faults, the
        TransferContact quota the options give, the deployed Connect policy and no deny rules, contact
        events delivered in order and once, an empty DLQ, alert queue and schedules' DLQ.
        """
        if not self.bus.wait_idle(idle_timeout):
            raise TimeoutError(f"the local bus did not drain in {idle_timeout:g} s")
        self.connect.clear_faults(emulator.FaultScope())
        self.connect.set_quota_scale(emulator.QuotaScale(1.0))
        self.connect.set_quota(
            emulator.QuotaPlan(self.options.transfer_rate, self.options.transfer_burst, "TransferContact")
        )
        self.connect.set_policy(deployed_policy())
        self.connect.clear_denials()
        self.connect.set_event_delivery(emulator.EventDeliveryPlan())
        self.faults.clear()
        self.aws.purge()

    # -- conveniences for the demo and the tests

    def add_contact(self, channel: str = "TASK", **seed_fields: Any) -> str:
        """A contact in the stack's instance; `seed_fields` are emulator.ContactSeed's keyword fields."""
        return self.connect.add_contact(emulator.ContactSeed(INSTANCE_ID, channel, **seed_fields))

    def transfers(self) -> list[Any]:
        return list(self.connect.ledger())

    def dlq_records(self) -> list[Any]:
        return self.aws.dlq_records()

    def ledger(self, chain_id: str | None = None) -> list[LedgerEntry]:
        """The escalation ledger, oldest first; only one chain's entries when `chain_id` is given."""
        return [e for e in self.aws.ledger() if chain_id is None or e.chain_id == chain_id]

    def schedules(self) -> list[dict[str, Any]]:
        """The SLA timers' schedules still in the group (empty without SLA timers)."""
        return self.scheduler.schedules() if self.scheduler is not None else []

    @property
    def scheduler(self) -> LocalScheduler | None:
        return self.sla_timers.scheduler if self.sla_timers is not None else None

    def escalation_events(self) -> list[Any]:
        """The escalation events the handler put on the bus (they match no rule; the bus keeps them)."""
        seen = [*self.bus.matched_events, *self.bus.dropped_events]
        return [event for event in seen if event.get("source") == ESCALATION_EVENT_SOURCE]
