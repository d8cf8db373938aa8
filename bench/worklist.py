"""Worklist benchmark: the "My work" page of a person with 1,000 pieces of work.

On a fresh database with the demo province, the leader of the demo Department of Information and
Communications assigns N registered incoming documents (1,000 by default) through
`workflow.services.assign`: a quarter to the specialist `chuyenvien.stttt` in person, the rest to
his unit (some with a deadline already passed, so the overdue list is filled too); a tenth are
then finished. The page `/cong-viec/` is then rendered for the specialist through Django's test
client (the whole stack: middleware, session, selector, template), `--repeat` times per tab, and
the script prints the median and the 95th percentile. Goal: a worklist of 1,000 items renders in
under 200 ms on the 2-core reference machine.

    .venv/bin/python bench/worklist.py
    .venv/bin/python bench/worklist.py --count 5000 --repeat 10
    .venv/bin/python bench/worklist.py --database-url postgres://postgres@127.0.0.1:5432/bench_worklist
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def _recreate_postgres(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        sys.exit("the database name must contain 'bench' (it is dropped and created again)")
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="pieces of work (default 1,000)")
    parser.add_argument("--repeat", type=int, default=20, help="renders per tab (default 20)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of SQLite (name must contain 'bench')")
    args = parser.parse_args(argv)

    data_dir = Path(tempfile.mkdtemp(prefix="vanban-bench-worklist-"))
    os.environ["VANBAN_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "vanban.settings"
    if args.database_url:
        _recreate_postgres(args.database_url)
        os.environ["VANBAN_DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("VANBAN_DATABASE_URL", None)
    try:
        return _run(args)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _run(args) -> int:
    import django

    django.setup()
    import datetime as dt

    from django.conf import settings

    settings.VANBAN_FSYNC = False  # setting up the work is not what is measured
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # Django's test client

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from vanban.documents import services as documents
    from vanban.documents.models import DocumentType
    from vanban.documents.samples import one_page_pdf
    from vanban.orgs import demo
    from vanban.orgs.models import Person
    from vanban.workflow.models import Assignment
    from vanban.workflow.selectors import assignment as selectors
    from vanban.workflow.services import assignment as services

    call_command("migrate", verbosity=0, interactive=False)
    demo.load("bench-password")
    clerk = Person.objects.get(username="vanthu.stttt")
    leader = Person.objects.get(username="lanhdao.stttt")
    specialist = Person.objects.get(username="chuyenvien.stttt")
    head = Person.objects.get(username="truongphong.stttt")
    doc_type = DocumentType.objects.get(code="cong-van")
    today = timezone.localdate()
    n = args.count
    t0 = time.perf_counter()
    pdf = one_page_pdf("vanban worklist benchmark")
    for i in range(n):
        doc = documents.register_incoming(
            clerk,
            uploads=[documents.Upload(io.BytesIO(pdf), f"den-{i}.pdf", len(pdf))],
            doc_type=doc_type,
            subject=f"Về việc phối hợp triển khai nhiệm vụ số {i} năm {today.year}",
            issuer_name="Ủy ban nhân dân tỉnh Tiền Giang",
            issued_date=today,
            original_code=f"{i + 1}/UBND-VP",
        ).document
        deadline = today + dt.timedelta(days=i % 30)
        a = services.assign(
            leader,
            doc,
            lead=specialist if i % 4 == 0 else specialist.unit,
            deadline=deadline,
            instruction="Chủ trì, tham mưu trả lời trước hạn.",
        )
        if i % 10 == 0:
            services.finish(head if a.handlers.get(role="lead").unit_id else specialist, a, result="Đã xử lý xong.")
    # Some deadlines in the past: move a fifth of the open work back a month.
    open_ids = list(Assignment.objects.filter(state="open").values_list("pk", flat=True))
    Assignment.objects.filter(pk__in=open_ids[::5]).update(deadline=today - dt.timedelta(days=30))
    setup = time.perf_counter() - t0
    work = selectors.worklist(specialist)
    print(
        f"vanban worklist benchmark on {connection.vendor}: {n:,} assignments made in {setup:.1f} s; "
        f"the specialist has {len(work.to_handle):,} to handle, {len(work.overdue):,} overdue, "
        f"{len(work.done):,} done shown (of the most recent 100)"
    )
    client = Client()
    client.force_login(specialist)
    worst = 0.0
    for tab in ("to_handle", "overdue", "done"):
        url = f"/cong-viec/?tab={tab}"
        r = client.get(url)
        assert r.status_code == 200, r.status_code
        rows = r.content.count(b'<tr class="overdue">') + r.content.count(b"<tr>") - 1
        statements = []
        with connection.execute_wrapper(lambda execute, sql, *a, seen=statements: seen.append(sql) or execute(sql, *a)):
            client.get(url)
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p50 = statistics.median(times)
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        worst = max(worst, p95)
        print(
            f"   {tab:<10} {rows:5,} rows on the first page   median {p50:6.1f} ms   p95 {p95:6.1f} ms"
            f"   {len(statements)} SQL statements"
        )
    verdict = "met" if worst < 200 else "NOT met"
    print(f"   goal: under 200 ms for a worklist of 1,000 items — {verdict} (worst p95 {worst:.1f} ms)")
    return 0 if worst < 200 else 1


if __name__ == "__main__":
    sys.exit(main())
