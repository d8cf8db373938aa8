"""Ingest benchmark: register incoming documents through the service the form uses.

Registers N incoming documents (10,000 by default), each with its own distinct one-page PDF,
as the demo clerk `vanthu.stttt`, through `vanban.documents.services.register_incoming`, and
prints documents per second and peak memory. Goal: at least 200 documents/second on SQLite on
the 2-core reference machine.

Every run starts from an empty database in a fresh data directory (never the developer's ./var):

    .venv/bin/python bench/ingest.py                       # SQLite, 10,000 documents, fsync on
    .venv/bin/python bench/ingest.py --no-fsync            # same, without fsync of stored files
    .venv/bin/python bench/ingest.py --database-url postgres://postgres@127.0.0.1:5432/bench_ingest
    .venv/bin/python bench/ingest.py --profile             # cProfile over 1,000 registrations

With --database-url, the PostgreSQL database is dropped and created again before the run; its
name must contain "bench" so that a typo can never drop a real database.

After the timed loop the script checks that the arrival numbers are exactly 1..N, that the audit
hash chain verifies, and that N files were stored; it exits with status 1 if any check fails.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import secrets
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_COUNT = 10_000
DEFAULT_PROFILE_COUNT = 1_000
CLERK = "vanthu.stttt"


# --- command line and environment (before Django is imported) --------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--count",
        type=int,
        default=None,
        help=f"documents to register (default {DEFAULT_COUNT:,}; {DEFAULT_PROFILE_COUNT:,} with --profile)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="data directory to use (must be empty or absent; default: a fresh temporary "
        "directory, removed afterwards unless --keep)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL instead of SQLite, e.g. postgres://postgres@127.0.0.1:5432/bench_ingest "
        "(dropped and recreated; the name must contain 'bench')",
    )
    parser.add_argument("--no-fsync", action="store_true", help="do not fsync stored files (VANBAN_FSYNC = False)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the loop under cProfile and print the top 25 functions by cumulative time",
    )
    parser.add_argument(
        "--profile-out",
        type=Path,
        default=None,
        help="with --profile: also save the raw statistics to this file (for pstats)",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also report the Python heap peak during the loop (slows the loop noticeably)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args(argv)
    if args.count is None:
        args.count = DEFAULT_PROFILE_COUNT if args.profile else DEFAULT_COUNT
    if args.count < 1:
        parser.error("--count must be at least 1")
    if args.profile_out and not args.profile:
        parser.error("--profile-out needs --profile")
    if args.database_url:
        url = urlsplit(args.database_url)
        if not url.scheme.startswith("postgres"):
            parser.error("--database-url must be a postgres:// URL (SQLite in the data directory is the default)")
        if "bench" not in url.path.lstrip("/"):
            parser.error("--database-url: the database is dropped and recreated, so its name must contain 'bench'")
    return args


def prepare_data_dir(requested: Path | None) -> tuple[Path, bool]:
    """The data directory for this run and whether we created it (and so may remove it)."""
    if requested is None:
        return Path(tempfile.mkdtemp(prefix="vanban-bench-ingest-")), True
    requested = requested.resolve()
    if requested.exists() and any(requested.iterdir()):
        sys.exit(f"--data-dir {requested} is not empty; give an empty or new directory (runs start fresh)")
    requested.mkdir(parents=True, exist_ok=True)
    return requested, False


def recreate_postgres_database(url: str) -> None:
    """Drop and create the database named in `url`, connecting to the server's `postgres`
    maintenance database with the same credentials."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    assert "bench" in name, "checked in parse_args"
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def configure_environment(args: argparse.Namespace, data_dir: Path) -> None:
    """Point vanban's settings at this run's data directory and database (before django.setup)."""
    os.environ["VANBAN_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "vanban.settings"
    if args.database_url:
        os.environ["VANBAN_DATABASE_URL"] = args.database_url
    else:
        # Never inherit a database from the developer's shell: the default is SQLite in data_dir.
        os.environ.pop("VANBAN_DATABASE_URL", None)


# --- helpers ---------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def database_description() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
            cursor.execute("PRAGMA synchronous")
            sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(cursor.fetchone()[0], "?")
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]} (journal_mode={journal}, synchronous={sync})"
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            cursor.execute("SHOW synchronous_commit")
            sync = cursor.fetchone()[0]
            # Without autovacuum the fresh tables are never analyzed during the run, which
            # changes the query plans the registrations get.
            cursor.execute("SHOW autovacuum")
            autovacuum = cursor.fetchone()[0]
            return (
                f"PostgreSQL {version} (synchronous_commit={sync}, autovacuum={autovacuum}, "
                f"db={connection.settings_dict['NAME']})"
            )
    return connection.vendor


def stored_file_count(root: Path) -> int:
    """Files in the content-addressed store, not counting leftover temporary files."""
    return sum(1 for _dirpath, _dirs, files in os.walk(root) for f in files if not f.startswith(".incoming-"))


# --- the benchmark ---------------------------------------------------------------------------


def build_requests(count: int, issuers: list[tuple[str, str]], today) -> list[dict]:
    """Realistic metadata for each document, alternating official letters and decisions, each
    with a distinct original number and notation and a distinct one-page PDF."""
    from vanban.documents import samples
    from vanban.documents.models import DocumentType

    cong_van = DocumentType.objects.get(name="Công văn")
    quyet_dinh = DocumentType.objects.get(name="Quyết định")
    requests = []
    for i in range(1, count + 1):
        issuer_name, issuer_identifier = issuers[i % len(issuers)]
        if i % 2:
            doc_type, code = cong_van, f"{i}/UBND-VP"
            subject = f"Về việc triển khai nhiệm vụ chuyển đổi số năm {today.year} (đợt {i})"
        else:
            doc_type, code = quyet_dinh, f"{i}/QĐ-UBND"
            subject = f"Quyết định phê duyệt kế hoạch ứng dụng công nghệ thông tin số {i}"
        requests.append(
            {
                "pdf": samples.one_page_pdf(f"Van ban den so {i} - {code} - {issuer_identifier}"),
                "name": f"van-ban-{i:05d}.pdf",
                "doc_type": doc_type,
                "original_code": code,
                "subject": subject,
                "issuer_name": issuer_name,
                "issuer_identifier": issuer_identifier,
            }
        )
    return requests


def register_all(clerk, requests: list[dict], today, progress_every: int) -> None:
    """The timed loop: one register_incoming call per document, as the form makes it."""
    from vanban.documents import services
    from vanban.documents.models import Channel

    started = last_time = time.perf_counter()
    last_cpu = time.process_time()
    for i, req in enumerate(requests, start=1):
        data = req["pdf"]
        services.register_incoming(
            clerk,
            uploads=[services.Upload(io.BytesIO(data), req["name"], len(data))],
            doc_type=req["doc_type"],
            subject=req["subject"],
            issuer_name=req["issuer_name"],
            issuer_identifier=req["issuer_identifier"],
            issued_date=today,
            original_code=req["original_code"],
            channel=Channel.EXCHANGE,
        )
        if progress_every and i % progress_every == 0:
            now, cpu = time.perf_counter(), time.process_time()
            print(
                f"  {i:>7,} registered  {progress_every / (now - last_time):8.1f} docs/s "
                f"(last {progress_every:,}, {1000 * (cpu - last_cpu) / progress_every:.2f} ms CPU/doc)  "
                f"{i / (now - started):8.1f} docs/s overall",
                file=sys.stderr,
                flush=True,
            )
            last_time, last_cpu = now, cpu


def run_checks(clerk, count: int, files_root: Path) -> list[str]:
    """Failures of the post-run checks (empty when everything holds)."""
    from django.utils import timezone

    from vanban.audit.models import Entry
    from vanban.audit.selectors import verify_chain
    from vanban.documents import numbering
    from vanban.documents.models import Direction, Document, DocumentFile, StoredBlob

    failures = []
    seqs = list(
        Document.objects.filter(
            agency=clerk.agency,
            direction=Direction.INCOMING,
            reg_series=numbering.SERIES_IN_GENERAL,
            reg_year=timezone.localdate().year,
        )
        .order_by("reg_seq")
        .values_list("reg_seq", flat=True)
    )
    ok = seqs == list(range(1, count + 1))
    print(
        f"check  arrival numbers 1..{count:,} consecutive: {'OK' if ok else 'FAILED'} "
        f"({len(seqs):,} documents, first {seqs[:1]}, last {seqs[-1:]})"
    )
    if not ok:
        failures.append("arrival numbers are not exactly 1..N")

    checked, problem = verify_chain()
    registered = Entry.objects.filter(action="document.register_incoming").count()
    ok = problem is None and registered == count
    detail = "" if problem is None else f"; {problem}"
    print(
        f"check  audit chain verifies: {'OK' if ok else 'FAILED'} "
        f"({checked:,} entries checked, {registered:,} registrations{detail})"
    )
    if not ok:
        failures.append("audit chain does not verify" if problem else "wrong number of audit entries")

    on_disk = stored_file_count(files_root)
    blobs = StoredBlob.objects.count()
    attached = DocumentFile.objects.count()
    ok = on_disk == blobs == attached == count
    print(
        f"check  stored files = {count:,}: {'OK' if ok else 'FAILED'} "
        f"({on_disk:,} on disk, {blobs:,} blob rows, {attached:,} document files)"
    )
    if not ok:
        failures.append("stored file count differs from N")
    return failures


def main(argv: list[str] | None = None) -> int:
    # Results go to stdout, progress to stderr: keep them in order when both are redirected.
    sys.stdout.reconfigure(line_buffering=True)
    args = parse_args(argv)
    if args.database_url:
        recreate_postgres_database(args.database_url)
    data_dir, created = prepare_data_dir(args.data_dir)
    configure_environment(args, data_dir)

    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from vanban.orgs import demo
    from vanban.orgs.models import Agency, Person

    if args.no_fsync:
        settings.VANBAN_FSYNC = False
    fsync = getattr(settings, "VANBAN_FSYNC", True)

    try:
        # Fresh schema and the demo province (which creates the clerk).
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        demo.load(secrets.token_urlsafe(16))
        clerk = Person.objects.select_related("agency").get(username=CLERK)
        setup_seconds = time.perf_counter() - t0

        # Issuers: other agencies of the province, by name and identifier code.
        issuers = list(
            Agency.objects.exclude(pk=clerk.agency_id).order_by("code").values_list("name", "identifier")[:50]
        )
        today = timezone.localdate()

        t0 = time.perf_counter()
        requests = build_requests(args.count, issuers, today)
        pdf_seconds = time.perf_counter() - t0
        distinct = len({r["pdf"] for r in requests})
        if distinct != args.count:
            print(f"sample PDFs are not distinct ({distinct:,} of {args.count:,})", file=sys.stderr)
            return 1

        print(f"database   {database_description()}")
        print(f"data dir   {data_dir}")
        print(f"fsync      {'on' if fsync else 'off'} (stored files)")
        print(f"setup      {setup_seconds:.1f} s (migrate + demo province)")
        print(f"PDFs       {args.count:,} distinct one-page PDFs generated in {pdf_seconds:.2f} s (not counted below)")
        rss_before = peak_rss_mb()

        profiler = cProfile.Profile() if args.profile else None
        if args.tracemalloc:
            tracemalloc.start()
        progress_every = max(args.count // 10, 1) if args.count >= 100 else 0
        t0, cpu0 = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        register_all(clerk, requests, today, progress_every)
        if profiler:
            profiler.disable()
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        heap_peak = None
        if args.tracemalloc:
            heap_peak = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
            tracemalloc.stop()

        print()
        print(f"documents  {args.count:,}")
        slowed = [name for name, on in (("cProfile", profiler), ("tracemalloc", args.tracemalloc)) if on]
        note = f"  (under {' and '.join(slowed)}: slower than a plain run)" if slowed else ""
        print(f"elapsed    {elapsed:.2f} s{note}")
        print(f"rate       {args.count / elapsed:.1f} documents/second")
        # CPU time of this process: close to elapsed when CPU-bound; the rest is waiting (fsync,
        # database server, or other processes taking the CPU on a shared machine).
        print(
            f"CPU        {cpu:.2f} s in this process ({100 * cpu / elapsed:.0f}% of elapsed; "
            f"{1000 * cpu / args.count:.2f} ms CPU per document)"
        )
        print(f"peak RSS   {peak_rss_mb():.1f} MB (ru_maxrss; {rss_before:.1f} MB before the loop)")
        if heap_peak is not None:
            print(f"heap peak  {heap_peak:.1f} MB (tracemalloc, during the loop)")
        print()

        failures = run_checks(clerk, args.count, Path(settings.STORAGES["documents"]["OPTIONS"]["location"]))

        if profiler:
            print()
            if args.profile_out:
                profiler.dump_stats(str(args.profile_out))
                print(f"raw profile saved to {args.profile_out}")
            pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats("cumulative").print_stats(25)

        if failures:
            print("FAILED: " + "; ".join(failures))
            return 1
        print("all checks passed")
        return 0
    finally:
        connection.close()
        if created and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        elif created:
            print(f"kept data directory {data_dir}")


if __name__ == "__main__":
    sys.exit(main())
