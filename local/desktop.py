"""The agent's Escalate app on this machine (`make serve`): the built app at /desktop/, a local Agent
Workspace stand-in at /workspace/, and the LOCAL-ONLY managed-login stand-in at /local-login/.

    server = DesktopServer(DesktopOptions(port=0)).start()  # first: its origin is the API's CORS origin
    server.api_url = stack.api.url  # what /desktop/config.json tells the app

The app is served from its own origin, as CloudFront serves it, and calls the local API across origins
(the local API answers the CORS preflight for DESKTOP_ORIGIN = this server's origin). The config.json
served here is the one file that differs from AWS: its Cognito domain is /local-login/ on this server.
"""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from local.background_server import HttpService, started
from local.dev_tokens import LOCAL_CLIENT_ID
from local.http_service import HandlerOptions, HttpRequest, HttpResponse
from local.local_login import DEFAULT_TOKEN_SECONDS, LocalLogin

logger = logging.getLogger(__name__)

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
DESKTOP_DIR: Final = REPO_ROOT / "desktop"
APP_DIST: Final = DESKTOP_DIR / "dist"
WORKSPACE_DIST: Final = DESKTOP_DIR / "dist-workspace"
APP_PATH: Final = "/desktop/"
WORKSPACE_PATH: Final = "/workspace/"
LOGIN_PREFIX: Final = "/local-login"
_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
}


class DesktopBuildError(RuntimeError):
    """`node desktop/build.mjs` failed or is not installed (`make install` runs npm ci)."""


def build_desktop(repo_root: Path = REPO_ROOT) -> None:
    """Bundles the app and the workspace stand-in (desktop/build.mjs, with the pinned esbuild)."""
    if not (repo_root / "node_modules" / "esbuild").exists():
        raise DesktopBuildError("esbuild is not installed: run `make install` (npm ci) first")
    done = subprocess.run(  # noqa: S603 - a fixed command
        ["node", str(repo_root / "desktop" / "build.mjs")],  # noqa: S607 - node from PATH, as npm uses it
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise DesktopBuildError(f"desktop/build.mjs failed:\n{done.stdout}{done.stderr}")


@dataclass(frozen=True)
class DesktopOptions:
    host: str = "127.0.0.1"
    port: int = 3001  # 0: a free port
    app_dir: Path = APP_DIST
    workspace_dir: Path = WORKSPACE_DIST
    token_seconds: int = DEFAULT_TOKEN_SECONDS


def _file(directory: Path, name: str) -> HttpResponse:
    # Only files directly in the build directory: no path from the URL reaches anywhere else.
    files = {path.name: path for path in directory.iterdir() if path.is_file()} if directory.is_dir() else {}
    path = files.get(name or "index.html")
    if path is None:
        return HttpResponse.of(404, {"Content-Type": "text/plain"}, b"Not found")
    content_type = _TYPES.get(path.suffix, "application/octet-stream")
    return HttpResponse.of(
        200, {"Content-Type": content_type, "Cache-Control": "no-cache"}, path.read_bytes()
    )


class DesktopServer(HttpService):
    def __init__(self, options: DesktopOptions | None = None) -> None:
        self.options = options or DesktopOptions()
        self.api_url: str | None = None
        super().__init__("local-desktop", self.options.host, self.options.port)
        self._login: LocalLogin | None = None

    def start(self) -> DesktopServer:
        # Its url, once started, is the app's origin: also the DESKTOP_ORIGIN the local API allows.
        if self._serve(self._handle, HandlerOptions(server_version="LocalDesktop")):
            self._login = LocalLogin(LOGIN_PREFIX, self.url + APP_PATH, self.options.token_seconds)
            logger.info("desktop app on %s%s", self.url, APP_PATH)
        return self

    @property
    def login(self) -> LocalLogin:
        """The managed-login stand-in (its token_seconds may be changed while running)."""
        return started(self._login, "DesktopServer")

    @property
    def app_url(self) -> str:
        return self.url + APP_PATH

    @property
    def workspace_url(self) -> str:
        return self.url + WORKSPACE_PATH

    def config(self) -> dict[str, str]:
        """The app's config.json: the same keys the stack writes, with the local sign-in as Cognito."""
        if self.api_url is None:
            raise RuntimeError("DesktopServer.api_url is not set")
        return {"apiUrl": self.api_url, "cognitoDomain": self.url + LOGIN_PREFIX, "clientId": LOCAL_CLIENT_ID}

    def _handle(self, request: HttpRequest) -> HttpResponse:  # noqa: PLR0911 - one return per route
        login = self._login.handle(request) if self._login is not None else None
        if login is not None:
            return login
        path = request.path
        if request.method != "GET":
            return HttpResponse(405)
        if path in (APP_PATH.rstrip("/"), WORKSPACE_PATH.rstrip("/"), "/"):
            target = WORKSPACE_PATH if path == WORKSPACE_PATH.rstrip("/") else APP_PATH
            query = f"?{request.query}" if request.query else ""
            return HttpResponse.of(302, {"Location": target + query})
        if path == APP_PATH + "config.json":
            return HttpResponse.json(200, self.config(), {"Cache-Control": "no-store"})
        if path.startswith(APP_PATH):
            return self._with_policy(_file(self.options.app_dir, path.removeprefix(APP_PATH)))
        if path.startswith(WORKSPACE_PATH):
            return _file(self.options.workspace_dir, path.removeprefix(WORKSPACE_PATH))
        return HttpResponse.of(404, {"Content-Type": "text/plain"}, b"Not found")

    def _with_policy(self, response: HttpResponse) -> HttpResponse:
        # As strict as a deployment's: scripts and styles from the app's origin only, no inline
        # code, API and sign-in calls to their origins, framed only by the (local) workspace.
        policy = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {self.api_url or ''}; frame-ancestors 'self'; form-action 'self'; "
            "base-uri 'self'; object-src 'none'"
        )
        return response.with_header("Content-Security-Policy", policy)
