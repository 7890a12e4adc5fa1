"""A real ``gatehouse serve`` (or ``gatehouse demo``) in a subprocess on loopback, provisioned
through the real CLI, the way an operator would run it.

Each server gets its own database (a SQLite file or a PostgreSQL database), its own port and
cheap argon2 parameters. Output goes to a log file that failures quote.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.postgres import free_port

HOST = "127.0.0.1"
SECRET_KEY = "e2e-key-encryption-key-0123456789abcdefghijklmnopq"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0

_running: set[subprocess.Popen[bytes]] = set()


def gatehouse_command() -> list[str]:
    """The installed console script beside this interpreter, else the entry point itself."""
    script = Path(sys.executable).with_name("gatehouse")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from gatehouse.cli.main import main; main()"]


def server_env(
    database_url: str, data_dir: Path, issuer: str | None, secret_key: str = SECRET_KEY
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env.update(
        {
            "GATEHOUSE_DATABASE_URL": database_url,
            "GATEHOUSE_DATA_DIR": str(data_dir),
            "GATEHOUSE_SECRET_KEY": secret_key,
            # The cheapest argon2id parameters: the tests exercise the path, not the cost.
            "GATEHOUSE_PASSWORD_HASH_TIME_COST": "1",
            "GATEHOUSE_PASSWORD_HASH_MEMORY_KIB": "8192",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if issuer is not None:
        env["GATEHOUSE_ISSUER"] = issuer
    return env


class CommandFailed(AssertionError):
    pass


@dataclass
class LiveServer:
    base_url: str
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log_path: Path
    demo_credentials: tuple[str, str] | None = field(default=None)

    @property
    def issuer(self) -> str:
        return self.base_url

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    # -- provisioning through the CLI ---------------------------------------------------------

    def cli(self, *args: str, stdin: str | None = None) -> Any:
        """Run a ``gatehouse`` command against this server's database; its JSON output."""
        result = subprocess.run(
            [*gatehouse_command(), *args],
            env=self.env,
            input=stdin.encode() if stdin is not None else None,
            capture_output=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise CommandFailed(
                f"gatehouse {' '.join(args[:2])} failed ({result.returncode}): "
                f"{result.stderr.decode(errors='replace').strip()}"
            )
        return json.loads(result.stdout)

    def create_client(
        self,
        client_id: str,
        redirect_uris: list[str],
        *,
        client_type: str = "confidential",
        scope: str = "openid profile email",
        name: str | None = None,
        extra: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        args = ["client", "create", "--client-id", client_id, "--type", client_type]
        args += ["--scope", scope, "--name", name or f"{client_id} app"]
        for uri in redirect_uris:
            args += ["--redirect-uri", uri]
        return dict(self.cli(*args, *extra))

    def create_user(self, username: str, password: str, **profile: str) -> dict[str, Any]:
        args = ["user", "create", "--username", username, "--password-stdin"]
        for name, value in profile.items():
            args += [f"--{name.replace('_', '-')}", value]
        return dict(self.cli(*args, stdin=password + "\n"))

    # -- lifecycle ----------------------------------------------------------------------------

    def stop(self) -> None:
        _stop(self.process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM lets the parent stop its workers; the process group is killed if it hangs."""
    _running.discard(process)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # workers left by a parent that hung or died
    process.wait(timeout=STOP_TIMEOUT)


@atexit.register
def _stop_leftovers() -> None:
    for process in list(_running):
        _stop(process)


def _answers(port: int, path: str) -> bool:
    """Whether GET ``path`` on the loopback port answers 200."""
    conn = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        conn.request("GET", path)
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _healthy(port: int) -> bool:
    return _answers(port, "/healthz")


def start_server(
    database_url: str,
    workdir: Path,
    *,
    demo: bool = False,
    secret_key: str = SECRET_KEY,
    settings: dict[str, str] | None = None,
    workers: int = 1,
    attempts: int = 3,
    public_host: str = HOST,
) -> LiveServer:
    """Start ``gatehouse serve`` (or ``demo``) with ``workers`` worker processes and wait
    for /healthz.

    ``secret_key`` must be the key the database's signing keys were encrypted with, if any.
    ``settings`` are more GATEHOUSE_* variables for the server. ``public_host`` is the host
    of its issuer (it listens on 127.0.0.1 whatever it is): "localhost" for passkeys, whose
    RP ID must be a domain name, never an IP address (WebAuthn §5.1.3).

    A port another process grabbed between picking and binding is retried on a new port.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, attempts + 1):
        port = free_port()
        base_url = f"http://{public_host}:{port}"
        env = {**server_env(database_url, workdir, base_url, secret_key), **(settings or {})}
        log_path = workdir / f"{'demo' if demo else 'serve'}-{port}.log"
        command = "demo" if demo else "serve"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    *gatehouse_command(),
                    command,
                    "--host",
                    HOST,
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                ],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=workdir,
                start_new_session=True,  # its own process group, so stop() can end the workers
            )
        _running.add(process)
        server = LiveServer(base_url, port, env, process, log_path)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            if _healthy(port):
                if demo:
                    server.demo_credentials = _demo_credentials(server.log())
                return server
            time.sleep(0.05)
        output = server.log()
        _stop(process)
        if "cannot listen" in output and attempt < attempts:
            continue
        raise RuntimeError(f"gatehouse {command} did not become healthy:\n{output[-4000:]}")
    raise AssertionError("unreachable")


# -- the example API (examples/orders_api) -----------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ExampleApi:
    """``python -m examples.orders_api`` in a subprocess: a resource server that knows gatehouse
    only through its issuer URL (and, with introspection, its own client credentials)."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        _stop(self.process)


def start_orders_api(
    issuer: str,
    audience: str,
    workdir: Path,
    *,
    introspect_as: tuple[str, str] | None = None,
    inventory: tuple[str, str, str, str] | None = None,
    attempts: int = 3,
) -> ExampleApi:
    """Start the example orders API for ``audience`` and wait until GET /health answers.

    ``introspect_as`` is (client_id, client_secret): the API then checks every token with
    gatehouse's introspection endpoint, the secret passed in $ORDERS_API_CLIENT_SECRET.
    ``inventory`` is (url, audience, client_id, client_secret): GET /stock/ITEM then asks
    that inventory API on the user's behalf, exchanging tokens as that client.
    """
    args = ["--issuer", issuer, "--audience", audience]
    env: dict[str, str] = {}
    if introspect_as is not None:
        args += ["--introspect-as", introspect_as[0]]
        env["ORDERS_API_CLIENT_SECRET"] = introspect_as[1]
    if inventory is not None:
        args += ["--inventory", *inventory[:3]]
        env["ORDERS_API_CLIENT_SECRET"] = inventory[3]
    return _start_example("orders_api", args, env, workdir, attempts)


def start_inventory_api(issuer: str, audience: str, workdir: Path) -> ExampleApi:
    """Start the example inventory API (examples/inventory_api) for ``audience``."""
    return _start_example(
        "inventory_api", ["--issuer", issuer, "--audience", audience], {}, workdir
    )


def _start_example(
    name: str, args: list[str], extra_env: dict[str, str], workdir: Path, attempts: int = 3
) -> ExampleApi:
    """``python -m examples.<name> ... --port PORT`` on a free port, once /health answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEHOUSE_", "ORDERS_API_"))}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra_env)
    command = [sys.executable, "-m", f"examples.{name}", *args, "--host", HOST]
    for attempt in range(1, attempts + 1):
        port = free_port()
        log_path = workdir / f"{name.replace('_', '-')}-{port}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [*command, "--port", str(port)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO_ROOT,  # examples/ is a package of the repository, not installed
                start_new_session=True,
            )
        _running.add(process)
        api = ExampleApi(f"http://{HOST}:{port}", process, log_path)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(port, "/health"):
                return api
            time.sleep(0.05)
        output = api.log()
        _stop(process)
        if "already in use" in output.lower() and attempt < attempts:
            continue
        raise RuntimeError(f"examples.{name} did not start:\n{output[-4000:]}")
    raise AssertionError("unreachable")


def _demo_credentials(output: str) -> tuple[str, str]:
    username = re.search(r"^\s*username: (\S+)\s*$", output, re.MULTILINE)
    password = re.search(r"^\s*password: (\S+)\s*$", output, re.MULTILINE)
    if not (username and password):
        raise RuntimeError(f"gatehouse demo printed no credentials:\n{output[-4000:]}")
    return username.group(1), password.group(1)
