"""The wire models load without Powertools or boto3: the CDK app imports them to build API Gateway's model."""

import subprocess
import sys

HEAVY = ("aws_lambda_powertools", "boto3", "botocore")


def test_the_wire_models_import_only_pydantic_and_the_standard_library() -> None:
    script = (
        "import sys\n"
        "from escalation.triggers.api_models import EscalationBody\n"
        f"print(sorted(name for name in sys.modules if name.split('.')[0] in {HEAVY!r}))\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
