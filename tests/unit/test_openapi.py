"""The committed openapi.json is what the code generates (`make openapi`), so the contract cannot drift."""

from pathlib import Path

from tools.openapi import document

OPENAPI_JSON = Path(__file__).resolve().parents[2] / "openapi.json"


def test_the_committed_openapi_document_is_the_generated_one() -> None:
    assert OPENAPI_JSON.read_text() == document() + "\n", "run `make openapi` and commit openapi.json"
