"""`vanban up` (what `make up` runs): migrate, load the demo province into an empty database,
then run the web server (gunicorn) and the task worker (django-tasks db_worker) until stopped."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from vanban.orgs import demo
from vanban.orgs.models import Agency
from vanban.signing import services as signing
from vanban.signing.models import SigningIdentity
from vanban.workflow import demo as workflow_demo


def demo_password() -> tuple[str, bool]:
    """(password, whether it came from VANBAN_DEMO_PASSWORD). Without the variable, a random
    password is made once and kept in the data directory."""
    given = os.environ.get("VANBAN_DEMO_PASSWORD")
    if given:
        return given, True
    path = settings.DATA_DIR / "demo_password"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(9))
    return path.read_text().strip(), False


class Command(BaseCommand):
    help = "Start vanban: migrate, load the demo province when empty, run web server and task worker."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("VANBAN_PORT") or 8000))
        parser.add_argument("--host", default=os.environ.get("VANBAN_HOST") or "0.0.0.0")  # noqa: S104
        parser.add_argument("--workers", type=int, default=int(os.environ.get("VANBAN_WEB_WORKERS") or 2))
        parser.add_argument("--no-serve", action="store_true", help="prepare only, do not start servers")

    def handle(self, *args, port, host, workers, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        password, from_env = demo_password()
        if not Agency.objects.exists():
            created = demo.load(password)
            chains = workflow_demo.load_chains()
            self.stdout.write(
                f"Loaded the demo province: {created['agencies']} agencies, {created['people']} people, "
                f"{chains} approval chains."
            )
        elif from_env:
            demo.reset_passwords(password)
        if not SigningIdentity.objects.exists():
            # Signatures need certificates, a timestamp authority and revocation data: the demo
            # PKI, served by this installation, until real certificates are imported.
            base_url = os.environ.get("VANBAN_PUBLIC_URL") or f"http://localhost:{port}"
            made = signing.demo_pki(base_url=base_url)
            self.stdout.write(
                f"Set up the demo PKI: {made['people']} leaders' and {made['agencies']} agencies' certificates."
            )
        call_command("collectstatic", interactive=False, verbosity=0)

        # HTTPS when given a certificate (other systems POST packages to /api/v1/exchange/inbox/).
        tls: list[str] = []
        cert, key = os.environ.get("VANBAN_TLS_CERT"), os.environ.get("VANBAN_TLS_KEY")
        if cert and key:
            tls = ["--certfile", cert, "--keyfile", key]
        url = f"{'https' if tls else 'http'}://localhost:{port}/"
        self.stdout.write("")
        self.stdout.write(f"  vanban is starting at {url}")
        self.stdout.write(f"  data directory: {settings.DATA_DIR}")
        self.stdout.write(f"  API: {url}api/docs/")
        self.stdout.write("  demo logins: " + ", ".join(p.username for p in demo.DEMO_PEOPLE))
        origin = "VANBAN_DEMO_PASSWORD" if from_env else f"default, kept in {settings.DATA_DIR / 'demo_password'}"
        self.stdout.write(f"  demo password: {password}   ({origin})")
        self.stdout.write("")
        sys.stdout.flush()
        if no_serve:
            return

        web = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "vanban.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(workers),
                "--threads",
                "4",
                "--timeout",
                "120",
                "--access-logfile",
                "-",
                "--error-logfile",
                "-",
                *tls,
            ],
        )
        worker = subprocess.Popen([sys.executable, "-m", "vanban", "worker", "--queue-name", "*"])
        children = [web, worker]

        def stop(*_):
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(c.poll() is None for c in children):
                time.sleep(0.5)
        finally:
            stop()
            deadline = time.time() + 20
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    child.kill()
        codes = [c.returncode for c in children]
        if any(code not in (0, -signal.SIGTERM, -signal.SIGINT) for code in codes):
            sys.exit(1)
