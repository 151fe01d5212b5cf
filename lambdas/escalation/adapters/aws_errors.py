"""What a boto3 ClientError says: the service's error code, read in one place for every adapter."""

from botocore.exceptions import ClientError


def error_code(error: ClientError, default: str = "") -> str:
    """The code the service answered with (`ConflictException`, ...), or `default` when it gave none."""
    return str(error.response.get("Error", {}).get("Code", default))
