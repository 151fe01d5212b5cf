#!/usr/bin/env python3
"""CDK entry point: context -> EscalationStack, with cdk-nag (AwsSolutions + Serverless) applied."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lambdas"))  # makes `escalation.contract` importable

from infra.app_builder import build_app
from infra.config import ContextError


def main() -> None:
    try:
        app, _ = build_app()
    except ContextError as err:
        sys.exit(f"error: {err}")
    app.synth()


if __name__ == "__main__":
    main()
