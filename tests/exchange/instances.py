"""Real vanban instances on loopback, for the two-instance exchange tests and `bench/exchange.py`.

No Django here (the benchmark loads this file by path, before and outside any Django setup). An
`Instance` is one installation: its own data directory, its own database (SQLite in the data
directory, or a PostgreSQL database created for it and dropped afterwards), started with the
project's own command (`vanban up --port P --host 127.0.0.1`) in its own process group and
session, so that stopping it (SIGTERM) or killing it (SIGKILL) reaches gunicorn, its workers and
the task worker at once. It is driven through its own command line (`vanban exchange ...`,
`vanban token ...`, `vanban shell -c ...`) and its HTTP interfaces.

`launch_pair` prepares two instances (A: SQLite, province suffix H58; B: another province, H59),
gives them a throwaway TLS CA and a server certificate for 127.0.0.1/localhost, makes each the
other's peer with the CA certificate printed by `vanban exchange ca`, and starts both.

`DroppingProxy` sits between A and B: it terminates TLS with the same test certificate, forwards
each request to B, reads B's whole answer, and for the first N connections closes A's connection
without relaying it (a receipt lost after the receiver stored the package).
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
VANBAN = ROOT / ".venv" / "bin" / "vanban"
INBOX_PATH = "/api/v1/exchange/inbox/"
CLERK = "vanthu.stttt"  # demo clerk of the Department of Information and Communications (82-STTTT)
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"

# Exchange settings for both instances: quick retries, short timeouts.
FAST_RETRIES = {
    "VANBAN_EXCHANGE_RETRY_FIRST_SECONDS": "1",
    "VANBAN_EXCHANGE_RETRY_MAX_SECONDS": "2",
    "VANBAN_EXCHANGE_HTTP_TIMEOUT_SECONDS": "5",
}

_OUT = "@@vanban-it@@"
_PRELUDE = f"""
import json as _json, sys as _sys
P = _json.loads(_sys.stdin.read() or "null")
def out(value):
    print({_OUT!r} + _json.dumps(value, default=str), flush=True)
"""

_live: set[Instance] = set()  # every started instance, killed at exit whatever happens


def _kill_all_at_exit() -> None:
    for inst in list(_live):
        with contextlib.suppress(Exception):
            inst.kill()


atexit.register(_kill_all_at_exit)


class InstanceError(RuntimeError):
    pass


# --- TLS for loopback -------------------------------------------------------------------------


@dataclass(frozen=True)
class Tls:
    ca_file: Path  # PEM of the throwaway CA: VANBAN_EXCHANGE_TLS_CA_FILE of both instances
    cert_file: Path  # server certificate for 127.0.0.1 and localhost (VANBAN_TLS_CERT)
    key_file: Path  # its key (VANBAN_TLS_KEY)

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.cert_file), str(self.key_file))
        return ctx


def make_tls(directory: Path) -> Tls:
    """A throwaway CA and a server certificate for 127.0.0.1/localhost signed by it."""
    from vanban.signing import crypto  # Django-free

    directory.mkdir(parents=True, exist_ok=True)
    ca = crypto.make_ca(f"vanban loopback test CA {uuid.uuid4().hex[:8]}", years=1)
    server = crypto.issue_tls_server(ca, ["127.0.0.1", "localhost"], days=2)
    tls = Tls(directory / "test-ca.pem", directory / "server.pem", directory / "server.key")
    tls.ca_file.write_text(crypto.cert_to_pem(ca.certificate))
    tls.cert_file.write_text(crypto.cert_to_pem(server.certificate))
    fd = os.open(tls.key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(crypto.key_to_pem(server.key, None))
    return tls


# --- PostgreSQL -------------------------------------------------------------------------------


def postgres_server_url() -> str:
    """The server to create instance databases on: the suite's VANBAN_TEST_POSTGRES (the Makefile
    exports it), else the local default."""
    return os.environ.get("VANBAN_TEST_POSTGRES") or DEFAULT_POSTGRES


def _admin_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))


def database_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(scheme="postgres", path=f"/{name}"))


def postgres_problem(server_url: str) -> str | None:
    """None when the PostgreSQL server accepts connections, else why not."""
    try:
        import psycopg

        with psycopg.connect(_admin_url(server_url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure means: not usable
        return f"{type(exc).__name__}: {exc}".strip()
    return None


def create_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_admin_url(url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_admin_url(url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# --- one instance ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may contain spaces and parentheses
        ppid = int(stat.rpartition(")")[2].split()[1])
        if ppid == pid:
            out.append(int(entry))
    return out


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _process_group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Zombies still count for killpg(0); look for a process of the group that is not one.
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


class Instance:
    """One vanban installation on 127.0.0.1:port (HTTPS when given `tls`)."""

    def __init__(
        self,
        name: str,
        directory: Path,
        *,
        port: int | None = None,
        suffix: str = "H58",
        database: str | None = None,
        tls: Tls | None = None,
        env: dict[str, str] | None = None,
    ):
        self.name = name
        self.data_dir = directory.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.suffix = suffix
        self.database = database  # postgres://... or None for SQLite in the data directory
        self.tls = tls
        self.extra_env = dict(env or {})
        self.proc: subprocess.Popen | None = None
        self.log_path = self.data_dir / "up.log"
        self._log = None
        self._token: str | None = None
        self._frozen: list[int] = []

    def __repr__(self) -> str:
        return f"<Instance {self.name} :{self.port} {'postgres' if self.database else 'sqlite'}>"

    # addresses
    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def inbox_url(self) -> str:
        return self.url + INBOX_PATH

    def identifier(self, admin_code: str) -> str:
        """The identifier code (000.00.NN.<suffix>) of the agency with this administrative code
        (e.g. 82-STTTT) in this installation's demo province."""
        return self.shell(
            "from vanban.orgs.models import Agency\nout(Agency.objects.get(code=P).identifier)", admin_code
        )

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "vanban.sqlite3"

    # environment and commands
    @property
    def env(self) -> dict[str, str]:
        """The outer environment without any VANBAN_* variable (never inherit the caller's
        database or data directory), plus this instance's."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("VANBAN_")}
        env.update(
            {
                "VANBAN_DATA_DIR": str(self.data_dir),
                "VANBAN_PROVINCE_ID_SUFFIX": self.suffix,
                "DJANGO_SETTINGS_MODULE": "vanban.settings",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.database:
            env["VANBAN_DATABASE_URL"] = self.database
        if self.tls:
            env["VANBAN_TLS_CERT"] = str(self.tls.cert_file)
            env["VANBAN_TLS_KEY"] = str(self.tls.key_file)
            env["VANBAN_EXCHANGE_TLS_CA_FILE"] = str(self.tls.ca_file)
        env.update(self.extra_env)
        return env

    def cli(
        self, *args: str, input: str | None = None, timeout: float = 180, check: bool = True
    ) -> subprocess.CompletedProcess:
        """Run `vanban ARGS` with this instance's environment."""
        result = subprocess.run(
            [str(VANBAN), *args],
            env=self.env,
            cwd=self.data_dir,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise InstanceError(
                f"[{self.name}] vanban {' '.join(args)[:200]} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-5000:]}"
            )
        return result

    def shell(self, code: str, params: Any = None, *, timeout: float = 180) -> Any:
        """Run a snippet in `vanban shell` on this instance's database. The snippet reads its
        parameters from `P` and answers with `out(value)` (JSON)."""
        result = self.cli("shell", "--no-imports", "-c", _PRELUDE + code, input=json.dumps(params), timeout=timeout)
        for line in reversed(result.stdout.splitlines()):
            if line.startswith(_OUT):
                return json.loads(line[len(_OUT) :])
        raise InstanceError(f"[{self.name}] the snippet printed no result\n{result.stdout[-2000:]}{result.stderr}")

    def prepare(self) -> None:
        """Migrate and load the demo province (what `vanban up` does before serving)."""
        self.cli("up", "--no-serve", timeout=300)

    def ca_pem(self) -> str:
        """This installation's CA certificate, as `vanban exchange ca` prints it."""
        pem = self.cli("exchange", "ca").stdout
        if "BEGIN CERTIFICATE" not in pem:
            raise InstanceError(f"[{self.name}] `vanban exchange ca` printed no certificate: {pem!r}")
        return pem

    def add_peer(self, name: str, url: str, cert_file: Path, serves: list[str]) -> str:
        args = ["exchange", "peer", "add", name, "--url", url, "--cert", str(cert_file)]
        for s in serves:
            args += ["--serves", s]
        return self.cli(*args).stdout.strip()

    def token(self, username: str = CLERK) -> str:
        if self._token is None:
            self._token = self.cli("token", username, "--name", "integration test").stdout.strip()
        return self._token

    # process
    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, *, wait: bool = True, timeout: float = 90) -> None:
        if self.running:
            raise InstanceError(f"[{self.name}] already running")
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n===== start {time.strftime('%H:%M:%S')} =====\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(
            [str(VANBAN), "up", "--port", str(self.port), "--host", "127.0.0.1"],
            env=self.env,
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own session and process group: gunicorn and the worker too
        )
        _live.add(self)
        if wait:
            self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 90) -> None:
        """Until the inbox answers (GET: 405) and the task worker runs."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise InstanceError(f"[{self.name}] `vanban up` exited {self.proc.returncode}\n{self.log_tail()}")
            try:
                status, _ = self.request("GET", INBOX_PATH, timeout=2)
            except OSError:
                status = None
            if status == 405 and self.worker_pids():
                return
            if time.monotonic() > deadline:
                raise InstanceError(f"[{self.name}] not ready after {timeout:.0f} s\n{self.log_tail()}")
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        """The task worker (`python -m vanban worker`) started by `vanban up`."""
        if not self.running:
            return []
        return [pid for pid in _children(self.proc.pid) if "vanban" in _cmdline(pid) and "worker" in _cmdline(pid)]

    def pids(self) -> list[int]:
        """Every live process of the instance's process group."""
        if self.proc is None:
            return []
        out = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
                except OSError:
                    continue
                if int(fields[2]) == self.proc.pid and fields[0] != "Z":
                    out.append(int(entry))
        return out

    def _signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def _reap(self, timeout: float) -> bool:
        """Wait until `vanban up` and every process of its group are gone."""
        deadline = time.monotonic() + timeout
        assert self.proc is not None
        while time.monotonic() < deadline:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=0.1)
            if self.proc.poll() is not None and not _process_group_alive(self.proc.pid):
                return True
        return False

    def _closed(self) -> None:
        _live.discard(self)
        self._frozen = []
        if self._log:
            self._log.close()
            self._log = None

    def stop(self, timeout: float = 30) -> None:
        """Graceful stop: SIGTERM to the process group (`vanban up` stops its children); SIGKILL
        what is left after `timeout`."""
        if self.proc is None:
            return
        if self.proc.poll() is None or _process_group_alive(self.proc.pid):
            self._signal_group(signal.SIGCONT)  # a frozen worker cannot handle SIGTERM
            self._signal_group(signal.SIGTERM)
            if not self._reap(timeout):
                self._signal_group(signal.SIGKILL)
                self._reap(10)
        self._closed()

    def kill(self) -> None:
        """SIGKILL the whole instance (web server, its workers, task worker) at once."""
        if self.proc is None:
            return
        self._signal_group(signal.SIGKILL)
        if not self._reap(15):
            raise InstanceError(f"[{self.name}] processes survived SIGKILL: {self.pids()}")
        self._closed()

    def restart(self, *, kill: bool = False) -> None:
        self.kill() if kill else self.stop()
        self.start()

    def freeze_worker(self, attempts: int = 50) -> list[int]:
        """SIGSTOP the task worker, at a moment it holds no SQLite write lock (a frozen holder
        would block every writer). Returns the frozen pids."""
        pids = self.worker_pids()
        if not pids:
            raise InstanceError(f"[{self.name}] no task worker to freeze")
        for _ in range(attempts):
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            if self.database or self._sqlite_writable():
                self._frozen = pids
                return pids
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
            time.sleep(0.05)
        raise InstanceError(f"[{self.name}] could not freeze the worker outside a write transaction")

    def thaw_worker(self) -> None:
        for pid in self._frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self._frozen = []

    def _sqlite_writable(self) -> bool:
        conn = sqlite3.connect(self.sqlite_path, timeout=0.2, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            conn.close()

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return f"--- last lines of {self.log_path}\n" + "\n".join(text[-lines:])

    def count_log(self, pattern: str) -> int:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return 0
        return len(re.findall(pattern, text))

    # HTTP
    def ssl_context(self) -> ssl.SSLContext | None:
        return self.tls.client_context() if self.tls else None

    def request(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        timeout: float = 60,
    ) -> tuple[int, bytes]:
        """(HTTP status, body); never raises for an HTTP error status."""
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=self.ssl_context()) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read() if exc.fp else b""

    def post_package(self, data: bytes, *, timeout: float = 120) -> tuple[int, bytes]:
        """POST bytes to this instance's exchange inbox, as a peer system does."""
        return self.request(
            "POST", INBOX_PATH, data, {"Content-Type": "application/xml; charset=utf-8"}, timeout=timeout
        )

    def api(
        self, method: str, path: str, *, fields=None, files=None, json_body=None, timeout: float = 60
    ) -> tuple[int, Any]:
        """Call the REST API as the demo clerk (personal token): multipart (`fields`, `files` as
        {field: (name, bytes, type)}) or JSON (`json_body`). Returns (status, decoded JSON)."""
        headers = {"Authorization": f"Token {self.token()}", "Accept": "application/json"}
        data = None
        if fields is not None or files is not None:
            data, content_type = _multipart(fields or {}, files or {})
            headers["Content-Type"] = content_type
        elif json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        status, body = self.request(method, path, data, headers, timeout=timeout)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body.decode(errors="replace")


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = f"----vanban{uuid.uuid4().hex}"
    out = []
    for name, value in fields.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, ctype) in files.items():
        out.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {ctype}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def wait_until(
    probe: Callable[[], Any], accept: Callable[[Any], bool], *, timeout: float = 60, interval: float = 0.3, what=""
) -> Any:
    """Call `probe` until `accept(result)`; raise AssertionError with the last result at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = probe()
        if accept(last):
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or 'a condition'}; last: {last}")
        time.sleep(interval)


def run_parallel(*commands: Callable[[], Any]) -> list[Any]:
    """Run callables in threads (e.g. two instances' slow preparation); re-raise the first error."""
    results: list[Any] = [None] * len(commands)
    errors: list[BaseException] = []

    def run(i, fn):
        try:
            results[i] = fn()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(commands)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


# --- two installations --------------------------------------------------------------------------


@dataclass
class Pair:
    a: Instance
    b: Instance
    tls: Tls
    root: Path
    a_ca: Path  # A's signing CA (PEM, from `vanban exchange ca`): what B trusts for H58
    b_ca: Path

    a_peer_url: str = ""  # where A sends packages for the H59 province now

    def point_a_at(self, url: str) -> None:
        """Change A's peer for the H59 province (e.g. to a proxy in front of B)."""
        if url != self.a_peer_url:
            self.a.add_peer("province-h59", url, self.b_ca, [".H59"])
            self.a_peer_url = url


@contextlib.contextmanager
def launch_pair(
    root: Path,
    *,
    b_database: str | None,
    env: dict[str, str] | None = None,
    a_env: dict[str, str] | None = None,
    b_env: dict[str, str] | None = None,
    start: bool = True,
    log: Callable[[str], None] = lambda _m: None,
) -> Iterator[Pair]:
    """A (SQLite, H58) and B (`b_database` or SQLite, H59) on loopback HTTPS, each the other's
    peer. B's PostgreSQL database is created first and dropped at the end; both instances are
    stopped (SIGKILL after a grace period) whatever happens."""
    root.mkdir(parents=True, exist_ok=True)
    tls = make_tls(root / "tls")
    common = {**FAST_RETRIES, **(env or {})}
    a = Instance("A", root / "a", suffix="H58", tls=tls, env={**common, **(a_env or {})})
    b = Instance("B", root / "b", suffix="H59", database=b_database, tls=tls, env={**common, **(b_env or {})})
    created_db = False
    try:
        if b_database:
            create_database(b_database)
            created_db = True
        t0 = time.monotonic()
        run_parallel(a.prepare, b.prepare)
        log(f"prepared A and B (migrate, demo province) in {time.monotonic() - t0:.1f} s")
        a_ca, b_ca = root / "a-ca.pem", root / "b-ca.pem"
        pems = run_parallel(a.ca_pem, b.ca_pem)
        a_ca.write_text(pems[0])
        b_ca.write_text(pems[1])
        run_parallel(
            lambda: a.add_peer("province-h59", b.inbox_url, b_ca, [".H59"]),
            lambda: b.add_peer("province-h58", a.inbox_url, a_ca, [".H58"]),
        )
        pair = Pair(a, b, tls, root, a_ca, b_ca, a_peer_url=b.inbox_url)
        if start:
            t0 = time.monotonic()
            run_parallel(a.start, b.start)
            log(f"started A ({a.url}) and B ({b.url}) in {time.monotonic() - t0:.1f} s")
        yield pair
    finally:
        errors = []
        for inst in (a, b):
            try:
                inst.stop(timeout=20)
            except Exception as exc:
                errors.append(exc)
        if created_db:
            try:
                drop_database(b_database)
            except Exception as exc:
                errors.append(exc)
        if errors and sys.exc_info()[0] is None:
            raise errors[0]


# --- a receiver whose answers get lost ----------------------------------------------------------


class DroppingProxy:
    """TLS in front of `target_port`: forwards each request to the target, reads its whole answer,
    and for the first `drop` connections closes the client's connection without relaying it.
    `answers` lists (HTTP status line, relayed?, body) for each forwarded request."""

    def __init__(self, target_port: int, tls: Tls, *, drop: int):
        self.target_port = target_port
        self.tls = tls
        self.drop = drop
        self.answers: list[tuple[str, bool, bytes]] = []
        self._lock = threading.Lock()
        self._n = 0
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self._server_ctx = tls.server_context()
        self._client_ctx = tls.client_context()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True, name="dropping-proxy")

    @property
    def inbox_url(self) -> str:
        return f"https://127.0.0.1:{self.port}{INBOX_PATH}"

    def __enter__(self) -> DroppingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._sock.close()
        self._thread.join(5)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _read_request(conn) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                raise ConnectionError("client closed before the end of the headers")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        match = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
        length = int(match.group(1)) if match else 0
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                raise ConnectionError("client closed before the end of the body")
            body += chunk
        # One request per connection: make sure the target closes after answering.
        head = re.sub(rb"(?im)^connection:.*$", b"Connection: close", head)
        if not re.search(rb"(?im)^connection:", head):
            head += b"\r\nConnection: close"
        return head + b"\r\n\r\n" + body

    def _serve(self, raw: socket.socket) -> None:
        raw.settimeout(30)
        try:
            client = self._server_ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        try:
            request = self._read_request(client)
            with self._lock:
                n = self._n
                self._n += 1
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=30)
            with self._client_ctx.wrap_socket(upstream, server_hostname="127.0.0.1") as up:
                up.sendall(request)
                answer = b""
                while chunk := up.recv(65536):
                    answer += chunk
            status_line = answer.split(b"\r\n", 1)[0].decode(errors="replace")
            body = answer.partition(b"\r\n\r\n")[2]
            relay = n >= self.drop
            with self._lock:
                self.answers.append((status_line, relay, body))
            if relay:
                client.sendall(answer)
                with contextlib.suppress(OSError, ssl.SSLError):
                    client.unwrap()
        except (OSError, ssl.SSLError, ConnectionError):
            pass
        finally:
            # Without relaying: the client sees its connection closed, no answer.
            with contextlib.suppress(OSError):
                client.close()


# --- small helpers shared by tests and the benchmark --------------------------------------------

# Every count of the exchange (and documents) of an instance, flat: {"outbox.package.delivered": 3, ...}
COUNTS = """
from django.db.models import Count
from vanban.documents.models import Document
from vanban.exchange.models import (
    Arrival, Delivery, DeliveryEvent, Dispatch, InboxPackage, OutboxMessage, ReceivedStatus,
)
c = {}
for direction, n in Document.objects.values_list("direction").annotate(n=Count("pk")):
    c[f"documents.{direction}"] = n
for kind, state, n in OutboxMessage.objects.values_list("kind", "state").annotate(n=Count("pk")):
    c[f"outbox.{kind}.{state}"] = n
for status, n in Delivery.objects.values_list("status").annotate(n=Count("pk")):
    c[f"deliveries.{status}"] = n
for state, n in Arrival.objects.values_list("state").annotate(n=Count("pk")):
    c[f"arrivals.{state}"] = n
c["dispatches"] = Dispatch.objects.count()
c["delivery_events"] = DeliveryEvent.objects.count()
c["inbox_packages"] = InboxPackage.objects.count()
c["received_statuses"] = ReceivedStatus.objects.count()
out({k: v for k, v in c.items() if v})
"""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """after - before, only the keys that changed."""
    keys = set(before) | set(after)
    return {k: after.get(k, 0) - before.get(k, 0) for k in sorted(keys) if after.get(k, 0) != before.get(k, 0)}
