"""local.http_service: the request/response skeleton the local API and bus are served through."""

from __future__ import annotations

import contextlib
import http.client
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import pytest

from local.background_server import BackgroundHttpServer
from local.http_service import (
    Handle,
    HandlerOptions,
    HttpRequest,
    HttpResponse,
    from_call,
    request_handler_class,
)

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def serve(handle: Handle, **options: Any) -> Iterator[BackgroundHttpServer]:
    server = BackgroundHttpServer("test-http", "127.0.0.1", 0)
    server.serve(request_handler_class(handle, HandlerOptions(server_version="TestServer", **options)))
    try:
        yield server
    finally:
        server.shutdown()


def connect(server: BackgroundHttpServer) -> http.client.HTTPConnection:
    url = urlsplit(server.url)
    return http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=5)


def test_the_handle_function_sees_the_request_and_its_answer_is_written() -> None:
    seen: list[HttpRequest] = []

    def handle(request: HttpRequest) -> HttpResponse:
        seen.append(request)
        return HttpResponse.of(201, [("X-One", "1"), ("X-One", "2")], b"made")

    with serve(handle) as server:
        conn = connect(server)
        conn.request("PUT", "/things/7?a=1&b=2", body=b"payload", headers={"X-Custom": "yes"})
        response = conn.getresponse()
        body = response.read()
        conn.close()

    [request] = seen
    assert (request.method, request.path, request.query, request.body) == (
        "PUT",
        "/things/7",
        "a=1&b=2",
        b"payload",
    )
    assert request.header("x-custom") == "yes"
    assert (response.status, body) == (201, b"made")
    assert response.getheader("X-One") == "1, 2", "repeated headers are all written, in order"
    assert response.getheader("Content-Length") == "4"
    assert response.getheader("Server", "").startswith("TestServer")


def test_a_call_taking_method_path_query_headers_and_body_plugs_in() -> None:
    def call(method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpResponse:
        return HttpResponse.json(
            200, {"method": method, "path": path, "query": query, "host": "Host" in headers}
        )

    with serve(from_call(call)) as server:
        conn = connect(server)
        conn.request("POST", "/x?q=1", body=b"")
        response = conn.getresponse()
        document = response.read()
        conn.close()

    assert response.getheader("Content-Type") == "application/json"
    assert document == b'{"method": "POST", "path": "/x", "query": "q=1", "host": true}'


def test_no_response_closes_the_connection_without_an_answer() -> None:
    with serve(lambda request: None) as server:
        conn = connect(server)
        conn.request("GET", "/")
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            conn.getresponse()
        conn.close()


def test_a_handle_that_raises_is_answered_by_on_error() -> None:
    def handle(request: HttpRequest) -> HttpResponse:
        raise RuntimeError("bug")

    with serve(handle, on_error=lambda: HttpResponse(503, (), b"sorry")) as server:
        conn = connect(server)
        conn.request("GET", "/")
        response = conn.getresponse()
        assert (response.status, response.read()) == (503, b"sorry")
        conn.close()


def test_methods_not_listed_are_answered_501() -> None:
    with serve(lambda request: HttpResponse(200), methods=("GET",)) as server:
        conn = connect(server)
        conn.request("DELETE", "/")
        response = conn.getresponse()
        response.read()
        conn.close()
    assert response.status == 501
