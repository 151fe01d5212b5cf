"""Helpers for the local stack's tests (imported as tests.local.helpers; conftest holds the fixtures)."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

REGION = "us-east-1"


class RecordingHandler:
    """A fake Lambda handler: records every call; fails the first `fail_times` calls, or every call whose
    event has `"fail": true` at the top level or in `detail`; optionally sleeps or blocks on an Event."""

    def __init__(self, fail_times: int = 0, result: Any = None, sleep: float = 0.0) -> None:
        self.fail_times = fail_times
        self.result = result if result is not None else {"statusCode": 200, "body": "{}"}
        self.sleep = sleep
        self.gate: threading.Event | None = None
        self._calls: list[tuple[dict[str, Any], Any]] = []
        self._lock = threading.Lock()
        self.running = 0
        self.max_running = 0

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        with self._lock:
            self._calls.append((event, context))
            n = len(self._calls)
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            if self.gate is not None:
                self.gate.wait(5)
            if self.sleep:
                threading.Event().wait(self.sleep)
            detail = event.get("detail")
            if not isinstance(detail, dict):
                detail = {}
            if n <= self.fail_times or event.get("fail") or detail.get("fail"):
                raise RuntimeError(f"planned failure on call {n}")
            return self.result
        finally:
            with self._lock:
                self.running -= 1

    @property
    def calls(self) -> list[tuple[dict[str, Any], Any]]:
        """Every (event, context) the handler was called with, in call order (a copy)."""
        with self._lock:
            return list(self._calls)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [event for event, _ in self.calls]

    def only_call(self) -> tuple[dict[str, Any], Any]:
        """The one (event, context) the handler was called with; fails unless there was exactly one."""
        calls = self.calls
        assert len(calls) == 1, f"expected one call, got {len(calls)}"
        return calls[0]


def events_client(endpoint_url: str) -> Any:
    return boto3.client("events", endpoint_url=endpoint_url, region_name=REGION)


def lambda_client(endpoint_url: str, max_attempts: int | None = None) -> Any:
    config = Config(retries={"total_max_attempts": max_attempts}) if max_attempts is not None else None
    return boto3.client("lambda", endpoint_url=endpoint_url, region_name=REGION, config=config)
