"""Build the CDK app from context: used by app.py and by the tests (one code path for both)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Environment

from escalation import contract
from infra.config import StackConfig
from infra.nag import acknowledge_findings, apply_checks
from infra.stack import EscalationStack


def stack_id(config: StackConfig) -> str:
    return f"ConnectEscalation-{config.env_name}"


def build_app(
    context: Mapping[str, Any] | None = None,
    *,
    outdir: str | None = None,
    nag: bool = True,
    acknowledge: bool = True,
) -> tuple[App, EscalationStack]:
    """The app with its one stack; raises ContextError when required context is missing.
    `acknowledge=False` leaves the accepted cdk-nag findings unacknowledged (to check each is still
    raised)."""
    app = App(context=dict(context) if context is not None else None, outdir=outdir)
    config = StackConfig.from_context(app.node)
    stack = EscalationStack(
        app,
        stack_id(config),
        config=config,
        # Environment-agnostic unless the CLI supplies an account/region (`cdk deploy` does).
        env=Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
        ),
        tags={"service": contract.SERVICE_NAME, "environment": config.env_name},
    )
    if acknowledge:
        acknowledge_findings(stack)
    if nag:
        apply_checks(app)
    return app, stack
