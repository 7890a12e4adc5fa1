"""The peer: panva's node-oidc-provider (../shared/peer), started and loaded exactly as
gatehouse is, so bench/run.py can report the ratio of the two in one run.

- ``start.sh PORT 2``: client_credentials with ES256 JWT access tokens (client bench-client);
- ``start-flow.sh PORT 2``: authorization-code flows with its development login, one
  confidential client (flow-web), RS256 ID tokens and a shared SQLite adapter.

Both run as a node:cluster of two processes, like ``gatehouse serve --workers 2``; the CPU
counted is the process tree of the primary, as for gatehouse. The first start installs
oidc-provider and Node.js 22 from the npm registry (start.sh), which can take minutes.
"""

from __future__ import annotations

import base64
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from harness import BenchError, Children
from provision import CODE_CHALLENGE

ROOT = Path(__file__).resolve().parent.parent
# ../shared/peer beside the repository (a worktree or a clone); BENCH_PEER_DIR overrides.
PEER_DIR = Path(os.environ.get("BENCH_PEER_DIR", ROOT.parent / "shared" / "peer"))
START_TIMEOUT = 600.0  # the first start installs from the npm registry

CC_CLIENT, CC_SECRET = "bench-client", "bench-secret-0123456789abcdef"
FLOW_CLIENT = "flow-web"
FLOW_SECRET = "flow-web-secret-1c3e5a7b9d2f4a6c8e0b1d3f5a7c9e2b"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
FLOW_USER = "alice"  # start-flow.sh's development login takes any password for this account


@dataclass(frozen=True)
class Peer:
    """What run.py needs to load the two peers: their URLs, the pids whose process trees are
    measured, and the request parts the wrk scripts send."""

    cc_url: str
    cc_pid: int
    cc_authorization: str
    cc_body: str
    flow_url: str
    flow_pid: int
    session_cookie: str
    flow_authorization: str
    authorize_path: str
    redirect_uri_form: str


def _basic(client_id: str, secret: str) -> str:
    # RFC 6749 §2.3.1: form-encode id and secret, then Basic.
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def _start(children: Children, script: str, port: int, workers: int, log: Path) -> Any:
    if not (PEER_DIR / script).exists():
        raise BenchError(f"no peer at {PEER_DIR / script} (set BENCH_PEER_DIR)")
    with log.open("w") as out:
        return children.start([str(PEER_DIR / script), str(port), str(workers)], stdout=out)


def _wait_for_discovery(proc: Any, port: int, log: Path) -> None:
    import httpx

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"the peer exited with {proc.returncode}; see {log}")
        try:
            url = f"http://127.0.0.1:{port}/.well-known/openid-configuration"
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise BenchError(f"the peer on port {port} not ready after {START_TIMEOUT:.0f} s; see {log}")


def _authorize_path(redirect_uri: str) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": FLOW_CLIENT,
            "redirect_uri": redirect_uri,
            "scope": "openid profile email",
            "code_challenge": CODE_CHALLENGE,
            "code_challenge_method": "S256",
        },
        quote_via=quote,
    )
    return f"/auth?{query}"


def sign_in(base_url: str, redirect_uri: str) -> str:
    """Log in and consent once through the peer's development pages, as a browser would;
    returns the Cookie header of its SSO session."""
    import httpx

    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as http:
        response = http.get(_authorize_path(redirect_uri) + "&state=signin&nonce=signin")
        for _ in range(8):  # bounded: login, consent, their resumes, then the client
            location = response.headers.get("location", "")
            if response.status_code != 303:
                raise BenchError(f"peer sign-in: expected 303, got {response.status_code}")
            if location.startswith(redirect_uri):
                if not parse_qs(urlsplit(location).query).get("code"):
                    raise BenchError("peer sign-in: no code in the redirect")
                cookies = [
                    f"{c.name}={c.value}" for c in http.cookies.jar if c.name.startswith("_session")
                ]
                if not cookies:
                    raise BenchError("peer sign-in: no _session cookie was set")
                return "; ".join(cookies)
            if "/interaction/" not in location:
                response = http.get(location)
                continue
            page = http.get(location)
            action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
            if action is None:
                raise BenchError("peer sign-in: no form on the interaction page")
            fields = dict(
                re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
            )
            if fields.get("prompt") == "login":
                fields.update(login=FLOW_USER, password="any")  # noqa: S106 - the dev login
            response = http.post(action.group(1), data=fields)
    raise BenchError("peer sign-in: too many redirects")


@contextmanager
def peers(children: Children, workdir: Path, workers: int, free_port: Any) -> Iterator[Peer]:
    """Both peers, started and signed in; stopped on exit."""
    cc_port, flow_port = free_port(), free_port()
    cc_log, flow_log = workdir / "peer-cc.log", workdir / "peer-flow.log"
    cc = _start(children, "start.sh", cc_port, workers, cc_log)
    try:
        _wait_for_discovery(cc, cc_port, cc_log)  # installs on first use: one at a time
        flow = _start(children, "start-flow.sh", flow_port, workers, flow_log)
        try:
            _wait_for_discovery(flow, flow_port, flow_log)
            flow_url = f"http://127.0.0.1:{flow_port}"
            redirect_uri = f"http://127.0.0.1:{flow_port + 1}/cb"  # start-flow.sh's default
            yield Peer(
                cc_url=f"http://127.0.0.1:{cc_port}",
                cc_pid=cc.pid,
                cc_authorization=_basic(CC_CLIENT, CC_SECRET),
                cc_body=urlencode(
                    {"grant_type": "client_credentials", "scope": "api:read"}, quote_via=quote
                ),
                flow_url=flow_url,
                flow_pid=flow.pid,
                session_cookie=sign_in(flow_url, redirect_uri),
                flow_authorization=_basic(FLOW_CLIENT, FLOW_SECRET),
                authorize_path=_authorize_path(redirect_uri),
                redirect_uri_form=quote(redirect_uri, safe=""),
            )
        finally:
            children.stop(flow)
    finally:
        children.stop(cc)
