"""KMS GenerateMac with the stack's HMAC key: the MAC dead-letter records carry (record_mac.py)."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from escalation.dead_letter_signing import MacUnavailable
from escalation.record_mac import MAC_ALGORITHM

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


class KmsMac:
    def __init__(self, client: Callable[[], "KMSClient"], key_id: str) -> None:
        # A factory: most environments never dead-letter, so the client is built on the first MAC.
        self._client = client
        self._key_id = key_id

    def mac(self, message: bytes) -> bytes:
        try:
            answer = self._client().generate_mac(
                Message=message, KeyId=self._key_id, MacAlgorithm=MAC_ALGORITHM
            )
        except (BotoCoreError, ClientError) as error:
            raise MacUnavailable(str(error)) from error
        return answer["Mac"]
