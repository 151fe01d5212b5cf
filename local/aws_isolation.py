"""What every local run starts from: dummy AWS credentials and nothing of the developer's own AWS set-up.

The one owner of that isolation: local.aws's clients, the tests (tests/aws_isolation.py applies it to the
process) and the benchmarks (which hand it to their child processes) all take it from here. It imports
neither moto nor boto3, so a benchmark that measures the handler's imports pays nothing for it.
"""

from __future__ import annotations

from pathlib import Path

from local.lambda_context import DEFAULT_REGION

# moto accepts any credentials; fixed dummies keep real ones (from a profile) out of local runs.
DUMMY_ACCESS_KEY_ID = "testing"
DUMMY_SECRET_ACCESS_KEY = "testing"  # noqa: S105 - not a secret: moto ignores it
DUMMY_SESSION_TOKEN = "testing"  # noqa: S105

# Variables that would point a local run at real AWS or at a developer's own profile or endpoints.
ISOLATION_UNSET = (
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    *(
        f"AWS_ENDPOINT_URL_{service}"
        for service in ("SQS", "SNS", "DYNAMODB", "SSM", "CONNECT", "EVENTBRIDGE", "LAMBDA")
    ),
)


def isolated_aws_variables(scratch_dir: Path) -> dict[str, str]:
    """Dummy credentials and no shared AWS configuration files (they would be in scratch_dir, and are not).

    Set them after removing ISOLATION_UNSET from the environment.
    """
    return {
        "AWS_CONFIG_FILE": str(scratch_dir / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(scratch_dir / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_ACCESS_KEY,
        "AWS_SESSION_TOKEN": DUMMY_SESSION_TOKEN,
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
        "AWS_REGION": DEFAULT_REGION,
    }
