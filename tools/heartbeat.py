"""Run a command and pass its output through; say it is still running when it has been quiet a while.

    python tools/heartbeat.py LABEL -- COMMAND [ARGS...]

Some set-up and check steps (a first mypy run, pip resolving, a test fixture that synthesizes the CDK app)
print nothing for minutes. This wrapper prints `… LABEL: still running (N s)` after every
QUIET_SECONDS without output, so nobody is left wondering whether anything is happening. It exits with
the command's own status. Standard library only: it runs before the virtualenv exists.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time

QUIET_SECONDS = 10.0


def run(label: str, command: list[str]) -> int:
    started = time.monotonic()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603 - the Makefile's own commands
    # Stopped from outside (make interrupted, a CI time-out): the command stops too.
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    assert child.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(child.stdout, selectors.EVENT_READ)
    out = sys.stdout.buffer
    last_output = time.monotonic()
    try:
        while True:
            if not selector.select(timeout=1.0):
                now = time.monotonic()
                if now - last_output >= QUIET_SECONDS:
                    out.write(f"… {label}: still running ({now - started:.0f} s)\n".encode())
                    out.flush()
                    last_output = now
                continue
            chunk = os.read(child.stdout.fileno(), 65536)
            if not chunk:
                break
            out.write(chunk)
            out.flush()
            last_output = time.monotonic()
    except KeyboardInterrupt:
        child.terminate()
    finally:
        selector.close()
    return child.wait()


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    return run(argv[0], argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
