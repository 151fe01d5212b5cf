"""CLI: `python -m local.connect_emulator --port 0 --rate 2 --burst 5`.

Prints the endpoint URL on the first line of stdout, then serves until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .admin import InstanceSeed
from .faults import DEFAULT_FAULT_OPERATION
from .quota import DEFAULT_BURST, DEFAULT_RATE
from .server import ConnectEmulator, EmulatorOptions


def _probability(text: str) -> tuple[str, float]:
    kind, separator, value = text.partition("=")
    if not separator:
        raise argparse.ArgumentTypeError("expected KIND=PROBABILITY, e.g. throttle=0.1")
    return kind, float(value)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.connect_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="requests/s per operation")
    parser.add_argument("--burst", type=int, default=DEFAULT_BURST)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every refill rate")
    parser.add_argument("--no-quota", action="store_true", help="no rate quota at all")
    parser.add_argument("--seed", type=int, default=None, help="seed for probabilistic faults")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--account-id", default="123456789012")
    parser.add_argument("--instance", action="append", default=[], help="create this instance id")
    parser.add_argument("--fault-operation", default=DEFAULT_FAULT_OPERATION)
    parser.add_argument(
        "--fault",
        action="append",
        type=_probability,
        default=[],
        metavar="KIND=P",
        help="fault probability, repeatable (throttle, internal, slow, timeout, drop, *_after_effect)",
    )
    parser.add_argument("--fault-script", default="", help="comma-separated kinds, one per call")
    parser.add_argument("--slow-seconds", type=float, default=None)
    parser.add_argument("--timeout-seconds", type=float, default=None)
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    options = EmulatorOptions(
        rate=None if args.no_quota else args.rate,
        burst=args.burst,
        scale=args.scale,
        seed=args.seed,
        region=args.region,
        account_id=args.account_id,
        fault_operation=args.fault_operation,
        fault_probabilities=dict(args.fault),
        fault_script=[kind for kind in args.fault_script.split(",") if kind],
        slow_seconds=args.slow_seconds,
        timeout_seconds=args.timeout_seconds,
        verbose=args.verbose,
    )
    emulator = ConnectEmulator(options)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001 - the signal API passes it
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    emulator.start(args.host, args.port)
    for instance_id in args.instance:
        emulator.add_instance(InstanceSeed(instance_id))
    print(emulator.endpoint_url, flush=True)
    while not stop.wait(0.5):  # a timed wait keeps the main thread responsive to signals
        pass
    emulator.stop()
    print("connect emulator stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
