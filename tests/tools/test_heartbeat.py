"""tools/heartbeat.py: a quiet command is announced as still running; output and exit status pass through."""

from __future__ import annotations

import sys

import pytest

from tools import heartbeat


def test_quiet_command_is_announced_and_its_output_and_status_pass_through(
    monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    monkeypatch.setattr(heartbeat, "QUIET_SECONDS", 0.2)
    script = "import sys, time; print('first', flush=True); time.sleep(1.6); print('last'); sys.exit(3)"

    status = heartbeat.run("slow step", [sys.executable, "-c", script])

    out = capfdbinary.readouterr().out.decode()
    assert status == 3
    assert out.index("first") < out.index("… slow step: still running") < out.index("last")


def test_chatty_command_gets_no_heartbeat(
    monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    monkeypatch.setattr(heartbeat, "QUIET_SECONDS", 5.0)

    status = heartbeat.run("fast step", [sys.executable, "-c", "print('done')"])

    assert status == 0
    assert capfdbinary.readouterr().out.decode() == "done\n"


def test_usage_error_without_separator() -> None:
    assert heartbeat.main(["label", "echo"]) == 2
