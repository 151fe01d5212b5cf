"""bench.lambda_model: the local stack's async invoker driving spawned execution environments.

A naive handler whose Connect endpoint refuses connections fails every attempt: Lambda's retries and
on-failure records must come out of the one model (local.lambda_invoker), mapped back to the events.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from bench.lambda_model import WorkerSpec, run_async_lambda

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_failing_events_are_retried_then_given_up_each_once(tmp_path: Path) -> None:
    env = {
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_ENDPOINT_URL_CONNECT": f"http://127.0.0.1:{_closed_port()}",
        "CONNECT_INSTANCE_ID": "instance",
    }
    spec = WorkerSpec(kind="naive", env=env, output_path=str(tmp_path / "output.log"))
    events = [{"detail": {"contactId": f"contact-{n}"}} for n in range(3)]

    report = run_async_lambda(spec, events, concurrency=2, retry_delays=(0.01,), max_wait_seconds=60)

    assert not report.timed_out
    assert sorted(report.on_failure) == [0, 1, 2]
    assert (report.completed, report.lambda_retries, report.invocations) == (0, 3, 6)
    assert sum(report.errors.values()) == 6
    assert report.drain_seconds > 0
    assert len(report.worker_cpu_seconds) == 2
