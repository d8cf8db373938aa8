"""Exchange benchmark: signed edXML packages, each with a one-page PDF, from installation A to
installation B over loopback HTTPS, end to end through the outbox, the worker and B's inbox.

Two real instances are started with the project's own commands (`vanban up`), as the two-instance
tests start them (this script loads tests/exchange/instances.py): A on SQLite (province suffix
H58), B on PostgreSQL (H59; a database created for the run and dropped afterwards) or, with
--b-sqlite, on SQLite. Then, for each run:

1. create N outgoing documents at A (`documents.services.register_outgoing`, a distinct one-page
   PDF each), in one Python process on A's database: timed, not part of the exchange figure;
2. sign and queue them for B's Department of Information and Communications, one
   `exchange.services.send` each (build the package, sign it, store it, queue it), in one Python
   process, as one clerk sending them one after the other: timed separately (packages/s and CPU);
3. push: A's worker, held during step 2, is released and delivers them over HTTPS; B verifies,
   stores and deduplicates each, registers an arrival and answers with a signed 01 receipt, which
   A verifies and records. Packages per second end to end = N / (release → last receipt recorded
   at A, read from A's database). The run ends when all N deliveries show 01 and B holds N.

`--mode overlap` times instead from the first dispatch to the last receipt with the worker
delivering while the same two cores are still signing and queueing (one clerk's sending rate then
bounds the figure). Run 1 is steady. Run 2 does the same with B SIGKILLed (its whole process
group) and restarted twice while packages are arriving, and prints sent / registered (stored at B)
/ duplicated. Goal: at least 100 packages/s on the 2-core reference machine, nothing lost, nothing
duplicated.

    .venv/bin/python bench/exchange.py                      # 5,000 packages, both runs
    .venv/bin/python bench/exchange.py --count 1000 --runs steady
    .venv/bin/python bench/exchange.py --mode overlap       # deliver while signing and queueing
    .venv/bin/python bench/exchange.py --micro 300          # also time the per-package steps in-process

Exit status 1 when a package is lost or duplicated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
STTTT = "82-STTTT"  # administrative code of the demo Department of Information and Communications


def _load_instances():
    """tests/exchange/instances.py, by path (it needs no Django, and `bench/` is not a package)."""
    spec = importlib.util.spec_from_file_location("vanban_instances", ROOT / "tests" / "exchange" / "instances.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# --- the parts that run inside an instance's environment (python bench/exchange.py _create ...) ---


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vanban.settings")
    import django

    django.setup()


def child_create(count: int, tag: str) -> dict:
    _django()
    import io

    from vanban.documents import services as documents
    from vanban.documents.models import DocumentType
    from vanban.documents.samples import one_page_pdf
    from vanban.orgs.models import Person

    clerk = Person.objects.select_related("agency").get(username="vanthu.stttt")
    doc_type = DocumentType.objects.get(code="cong-van")
    unit = clerk.agency.units.get(notation="VP")
    ids = []
    started = time.perf_counter()
    for i in range(count):
        pdf = one_page_pdf(f"vanban exchange benchmark {tag} {i}")
        result = documents.register_outgoing(
            clerk,
            uploads=[documents.Upload(io.BytesIO(pdf), f"cong-van-{tag}-{i}.pdf", len(pdf))],
            doc_type=doc_type,
            unit=unit,
            subject=f"Về việc thử nghiệm liên thông văn bản, lượt {tag}, số {i}",
            signer_name="Phạm Văn Đức",
            signer_position="Giám đốc",
        )
        ids.append(result.document.pk)
    return {"ids": ids, "seconds": time.perf_counter() - started}


def child_dispatch(ids: list[int], code: str) -> dict:
    profile_path = os.environ.get("BENCH_PROFILE")
    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        try:
            return _dispatch(ids, code)
        finally:
            profiler.disable()
            profiler.dump_stats(profile_path)
    return _dispatch(ids, code)


def _dispatch(ids: list[int], code: str) -> dict:
    _django()
    import resource

    from vanban.documents.models import Document
    from vanban.exchange import services
    from vanban.orgs.models import Person

    clerk = Person.objects.select_related("agency").get(username="vanthu.stttt")
    started_wall = time.time()
    started = time.perf_counter()
    for pk in ids:
        services.send(clerk, Document.objects.get(pk=pk), [code])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": time.perf_counter() - started,
        "started": started_wall,
        "ended": time.time(),
        "cpu": usage.ru_utime + usage.ru_stime,
    }


def child_micro(count: int, code: str) -> dict:
    """Time the per-package steps in-process on A's database: build + sign (sender), and what
    the receiver does with the same bytes (validate, parse, verify, receipt signing)."""
    _django()
    import statistics

    from vanban.documents.models import Document
    from vanban.exchange import edxml, mapping, services
    from vanban.signing import services as signing
    from vanban.signing import xmlsig

    docs = list(Document.objects.filter(direction="outgoing").order_by("-pk")[:count])
    agency = docs[0].agency
    business = edxml.Business(doc_type=0, reason="Văn bản điện tử mới")
    recipient = edxml.Organ(code, code)
    timings: dict[str, list[float]] = {}

    def timed(name, fn, *args):
        t = time.perf_counter()
        value = fn(*args)
        timings.setdefault(name, []).append((time.perf_counter() - t) * 1000)
        return value

    trust = signing.local_trust()
    for doc in docs:
        pkg = timed(
            "sender: mapping.package_for (reads the PDF)",
            lambda d: mapping.package_for(d, [recipient], business, sender=agency),
            doc,
        )
        xml = timed("sender: edxml.build_package", edxml.build_package, pkg)
        signed = timed("sender: signing.sign_xml (RSA-SHA256)         ", signing.sign_xml, xml, agency)
        timed("receiver: edxml.validate (libxml2 XSD)", edxml.validate, signed)
        parsed = timed("receiver: edxml.parse", edxml.parse, signed)
        timed("receiver: xmlsig.verify", xmlsig.verify, signed, trust)
        timed(
            "receiver: _receipt_xml (build + sign the 01 receipt)",
            lambda p: services._receipt_xml(
                responder=agency, response_for=services._response_for(p), code="01", description="Arrived"
            ),
            parsed.package,
        )
        receipt = services._receipt_xml(
            responder=agency, response_for=services._response_for(parsed.package), code="01", description="x"
        )
        timed("sender: edxml.parse of the receipt", edxml.parse, receipt)
    return {
        "packages": len(docs),
        "bytes": len(signed),
        "ms": {k: {"mean": statistics.fmean(v), "p50": statistics.median(v)} for k, v in timings.items()},
    }


def child_make_packages(count: int, code: str, out_dir: str) -> dict:
    """Sign `count` fresh packages for `code` at A (not queued), for the receiver profile."""
    _django()
    import uuid

    from vanban.documents.models import Document
    from vanban.exchange import edxml, mapping
    from vanban.signing import services as signing

    docs = list(Document.objects.filter(direction="outgoing").order_by("-pk")[:count])
    business = edxml.Business(doc_type=0, reason="Văn bản điện tử mới")
    for i, doc in enumerate(docs):
        pkg = mapping.package_for(doc, [edxml.Organ(code, code)], business, sender=doc.agency)
        pkg.document_id = edxml.document_id(doc.issuer_identifier, doc.issued_date, f"P{uuid.uuid4().hex[:8]}", "X")
        Path(out_dir, f"{i:05d}.edxml").write_bytes(signing.sign_xml(edxml.build_package(pkg), doc.agency))
    return {"packages": len(docs)}


def child_receive(in_dir: str, profile_path: str) -> dict:
    """`services.receive` (what B's inbox view calls) in-process on B's database: the first half
    of the packages timed plainly, the second half under cProfile (saved to `profile_path`)."""
    _django()
    import cProfile

    from vanban.exchange import services

    data = [f.read_bytes() for f in sorted(Path(in_dir).glob("*.edxml"))]
    assert services.receive(data[0], via="http").created  # warm up: keys, certificates, the schema
    half = (len(data) - 1) // 2
    plain, profiled = data[1 : 1 + half], data[1 + half :]
    started = time.perf_counter()
    for d in plain:
        assert services.receive(d, via="http").created
    plain_ms = (time.perf_counter() - started) / len(plain) * 1000
    profiler = cProfile.Profile()
    profiler.enable()
    for d in profiled:
        assert services.receive(d, via="http").created
    profiler.disable()
    profiler.dump_stats(profile_path)
    return {"packages": len(plain), "ms_per_receive": plain_ms, "profiled": len(profiled)}


# --- the benchmark (outer process) ------------------------------------------------------------


def log(message: str) -> None:
    print(message, flush=True)


def run_child(inst, *args: str, timeout: float = 3600, profile: str | None = None) -> dict:
    env = inst.env
    if profile:
        env["BENCH_PROFILE"] = str(inst.data_dir.parent / f"dispatch-{profile}.prof")
    result = subprocess.run(
        [str(PYTHON), str(Path(__file__).resolve()), *args],
        env=env,
        cwd=inst.data_dir,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed ({result.returncode}):\n{result.stderr[-5000:]}")
    if profile:
        import io
        import pstats

        text = io.StringIO()
        stats = pstats.Stats(env["BENCH_PROFILE"], stream=text).strip_dirs()
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(15)
        log(f"   cProfile of the dispatch process (saved in {env['BENCH_PROFILE']}):")
        log("\n".join("      " + line for line in text.getvalue().splitlines() if line.strip()))
    return json.loads(result.stdout.strip().splitlines()[-1])


def cpu_seconds(a, b) -> dict[str, float]:
    """CPU time (user + system) so far of each part of the two instances, and of PostgreSQL."""
    ticks = os.sysconf("SC_CLK_TCK")
    groups = {inst.proc.pid: inst.name for inst in (a, b) if inst.proc is not None}
    out: dict[str, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[2]) in groups:
            part = "worker" if " worker" in cmd else "web (gunicorn)" if "gunicorn" in cmd else "vanban up"
            label = f"{groups[int(fields[2])]} {part}"
        elif cmd.startswith("postgres"):
            label = "PostgreSQL (all backends)"
        else:
            continue
        out[label] = out.get(label, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return out


class Watch:
    """Cheap reads of both databases (no Django process per poll)."""

    def __init__(self, a, b):
        self.a_path = a.sqlite_path
        self.b = b

    def a_query(self, sql: str, *params):
        conn = sqlite3.connect(f"file:{self.a_path}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute(sql, params).fetchone()
        finally:
            conn.close()

    def b_query(self, sql: str, *params):
        if self.b.database:
            import psycopg

            with psycopg.connect(self.b.database.replace("postgres://", "postgresql://", 1)) as conn:
                return conn.execute(sql.replace("?", "%s"), params).fetchone()
        conn = sqlite3.connect(f"file:{self.b.sqlite_path}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute(sql, params).fetchone()
        finally:
            conn.close()

    def marks(self) -> dict:
        """Highest ids now: a run's rows are those above."""
        return {
            "dispatch": self.a_query("SELECT coalesce(max(id), 0) FROM exchange_dispatch")[0],
            "outbox": self.a_query("SELECT coalesce(max(id), 0) FROM exchange_outboxmessage")[0],
            "inbox": self.b_query("SELECT coalesce(max(id), 0) FROM exchange_inboxpackage")[0],
            "arrival": self.b_query("SELECT coalesce(max(id), 0) FROM exchange_arrival")[0],
        }

    def progress(self, marks: dict) -> dict:
        a = self.a_query(
            "SELECT count(*), sum(d.status = '01'), sum(m.state = 'delivered'), sum(m.state = 'pending'),"
            " sum(m.attempts), max(m.attempts) FROM exchange_outboxmessage m"
            " JOIN exchange_delivery d ON d.outbox_id = m.id WHERE m.id > ? AND m.kind = 'package'",
            marks["outbox"],
        )
        b = self.b_query(
            "SELECT count(*), count(DISTINCT dedupe_key), count(DISTINCT document_id) FROM exchange_inboxpackage"
            " WHERE id > ?",
            marks["inbox"],
        )
        arrivals = self.b_query("SELECT count(*) FROM exchange_arrival WHERE id > ?", marks["arrival"])[0]
        return {
            "queued": a[0],
            "status_01": a[1] or 0,
            "delivered": a[2] or 0,
            "pending": a[3] or 0,
            "attempts": a[4] or 0,
            "max_attempts": a[5] or 0,
            "stored_at_b": b[0],
            "distinct_keys_at_b": b[1],
            "distinct_documents_at_b": b[2],
            "arrivals_at_b": arrivals,
        }

    def window(self, marks: dict) -> tuple[dt.datetime, dt.datetime]:
        first, last = self.a_query(
            "SELECT (SELECT min(created_at) FROM exchange_dispatch WHERE id > ?),"
            " (SELECT max(delivered_at) FROM exchange_outboxmessage WHERE id > ? AND kind = 'package')",
            marks["dispatch"],
            marks["outbox"],
        )
        return dt.datetime.fromisoformat(first), dt.datetime.fromisoformat(last)


def _kill_b_at(pair, it, watch: Watch, marks: dict, thresholds: list[int], n: int) -> list[str]:
    """SIGKILL B (its whole process group) and start it again once it has stored each threshold."""
    restarts = []
    for threshold in thresholds:
        it.wait_until(
            lambda: watch.progress(marks)["stored_at_b"],
            lambda stored, t=threshold: stored >= t,
            timeout=max(600, n / 5),
            interval=0.05,
            what=f"B to store {threshold} packages",
        )
        stored = watch.progress(marks)["stored_at_b"]
        t = time.monotonic()
        pair.b.kill()
        pair.b.start()
        restarts.append(f"killed at {stored:,} stored, serving again after {time.monotonic() - t:.1f} s")
        log(f"   B SIGKILLed at {stored:,} packages stored; serving again {time.monotonic() - t:.1f} s later")
    return restarts


def one_run(pair, it, watch: Watch, code: str, args, *, tag: str, kills: int) -> dict:
    """One run. Mode "push" (the figure of the issue: signed packages pushed from A to B): A's
    worker is held while the packages are signed and queued, then released; the rate is packages
    / (release → last receipt recorded at A). Mode "overlap": the worker delivers while the same
    machine is still signing and queueing; the rate is packages / (first dispatch → last receipt)."""
    a, b = pair.a, pair.b
    n = args.count
    push = args.mode == "push"
    log(
        f"\n== run {tag} ({args.mode}): {n:,} packages A → B"
        + (f", B SIGKILLed and restarted {kills}×" if kills else "")
    )
    created = run_child(a, "_create", str(n), tag)
    log(f"   documents created at A: {n:,} in {created['seconds']:.1f} s ({n / created['seconds']:.0f}/s)")
    marks = watch.marks()
    b_answers_before = b.count_log(r'"POST /api/v1/exchange/inbox/ HTTP/1\.[01]" 200')
    if push:
        a.freeze_worker()
    ids_file = Path(tempfile.mkstemp(prefix="vanban-bench-ids-", suffix=".json")[1])
    ids_file.write_text(json.dumps(created["ids"]))
    kill_at = [n * (k + 1) // (kills + 1) for k in range(kills)]
    cpu_from = cpu_seconds(a, b) if not push else None
    restarts: list[str] = []
    try:
        if kills and not push:
            # Dispatch in the background; kill B while packages are arriving.
            child = subprocess.Popen(
                [str(PYTHON), str(Path(__file__).resolve()), "_dispatch", str(ids_file), code],
                env=a.env,
                cwd=a.data_dir,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            restarts = _kill_b_at(pair, it, watch, marks, kill_at, n)
            out, err = child.communicate(timeout=3600)
            if child.returncode != 0:
                raise RuntimeError(f"dispatch failed:\n{err[-5000:]}")
            dispatched = json.loads(out.strip().splitlines()[-1])
        else:
            dispatched = run_child(a, "_dispatch", str(ids_file), code, profile=args.profile_dispatch and tag)
    finally:
        ids_file.unlink(missing_ok=True)
    log(
        f"   signed and queued at A (build + sign + store + queue, one process, like one clerk sending):"
        f" {n:,} in {dispatched['seconds']:.1f} s ({n / dispatched['seconds']:.0f}/s, "
        f"{dispatched['cpu'] / n * 1000:.1f} ms CPU each)" + (" — worker held meanwhile" if push else "")
    )
    at_dispatch_end = watch.progress(marks)
    if push:
        cpu_from = cpu_seconds(a, b)
        released = time.time()
        a.thaw_worker()
        if kills:
            restarts = _kill_b_at(pair, it, watch, marks, kill_at, n)
    last_print = 0.0

    def probe():
        nonlocal last_print
        p = watch.progress(marks)
        if time.monotonic() - last_print > 10:
            last_print = time.monotonic()
            log(f"   … 01 at A {p['status_01']:,}/{n:,}, stored at B {p['stored_at_b']:,}, pending {p['pending']:,}")
        return p

    final = it.wait_until(
        probe,
        lambda p: p["status_01"] >= n and p["stored_at_b"] >= n,
        timeout=max(900, n / 2),
        interval=0.5,
        what="every receipt",
    )
    cpu_to = cpu_seconds(a, b)
    cpu = {k: cpu_to.get(k, 0) - cpu_from.get(k, 0) for k in sorted(cpu_to)}
    if not push:
        cpu["A dispatch process"] = dispatched["cpu"]
    time.sleep(2)  # anything late (a resend after the last receipt) would show now
    final = watch.progress(marks)
    first, last = watch.window(marks)
    if push:
        first = dt.datetime.fromtimestamp(released, dt.UTC).replace(tzinfo=None)  # A stores naive UTC
    seconds = (last - first).total_seconds()
    answers = b.count_log(r'"POST /api/v1/exchange/inbox/ HTTP/1\.[01]" 200') - b_answers_before
    result = {
        "tag": tag,
        "mode": args.mode,
        "count": n,
        "create_seconds": created["seconds"],
        "dispatch_seconds": dispatched["seconds"],
        "e2e_seconds": seconds,
        "rate": n / seconds,
        "delivered_during_dispatch": at_dispatch_end["status_01"],
        "restarts": restarts,
        "b_answers_200": answers,
        **final,
    }
    lost = n - final["status_01"]
    duplicated = final["stored_at_b"] - final["distinct_documents_at_b"] + max(0, final["arrivals_at_b"] - n)
    result.update(lost=lost, duplicated=duplicated)
    if push:
        log(
            f"   end to end (worker released → last receipt recorded at A: pushed over HTTPS, verified,"
            f" stored and registered as arrivals at B, B's signed receipt verified and recorded at A):"
            f" {n:,} in {seconds:.1f} s = {n / seconds:.1f} packages/s"
        )
    else:
        log(
            f"   end to end (first dispatch → last receipt recorded at A): {n:,} in {seconds:.1f} s"
            f" = {n / seconds:.1f} packages/s   ({at_dispatch_end['status_01']:,} already delivered when dispatch"
            f" ended)"
        )
    if not kills:  # (B's processes are replaced when it is killed: their CPU time cannot be read)
        what = "the push (worker released → last receipt)" if push else "first dispatch → last receipt"
        log(f"   CPU seconds during {what}, {n:,} packages, on {os.cpu_count()} CPUs:")
        for label, seconds_used in cpu.items():
            if seconds_used > 0.05:
                log(f"      {label:<28} {seconds_used:7.1f} s   {seconds_used / n * 1000:6.1f} ms/package")
        total = sum(cpu.values())
        log(f"      {'total':<28} {total:7.1f} s   {total / n * 1000:6.1f} ms/package")
    log(
        f"   sent {final['queued']:,} / registered (stored at B) {final['stored_at_b']:,} / duplicated {duplicated}"
        f" / lost {lost}   — arrivals at B {final['arrivals_at_b']:,}, delivery attempts {final['attempts']:,}"
        f" (max {final['max_attempts']} for one package), B answered 200 {answers:,}×"
        f" ({answers - final['stored_at_b']:,} resends answered from the stored receipt)"
    )
    return result


def profile_receive(pair, code: str, count: int) -> None:
    import io
    import pstats

    packages = pair.root / "receive-profile"
    packages.mkdir(exist_ok=True)
    made = run_child(pair.a, "_make_packages", str(count), code, str(packages))
    prof = pair.root / "receive.prof"
    result = run_child(pair.b, "_receive", str(packages), str(prof))
    log(
        f"\n== B's services.receive in-process ({made['packages']} fresh packages signed at A): "
        f"{result['ms_per_receive']:.1f} ms per package without profiler ({result['packages']} packages); "
        f"cProfile of {result['profiled']} more:"
    )
    text = io.StringIO()
    stats = pstats.Stats(str(prof), stream=text).strip_dirs()
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(15)
    log("\n".join("      " + line for line in text.getvalue().splitlines() if line.strip()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000, help="packages per run (default 5,000)")
    parser.add_argument("--runs", choices=["both", "steady", "kill"], default="both")
    parser.add_argument("--b-sqlite", action="store_true", help="B on SQLite instead of PostgreSQL")
    parser.add_argument(
        "--mode",
        choices=["push", "overlap"],
        default="push",
        help="push (default): sign and queue first, then push and time the push; overlap: deliver while signing",
    )
    parser.add_argument(
        "--profile-dispatch", action="store_true", help="run the dispatch under cProfile (steady run) and print it"
    )
    parser.add_argument(
        "--profile-receive",
        type=int,
        default=0,
        metavar="N",
        help="also run B's services.receive in-process on N fresh packages (half timed, half under cProfile)",
    )
    parser.add_argument("--micro", type=int, default=0, metavar="N", help="also time the steps on N packages")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers of each instance (default 2)")
    parser.add_argument("--parallel", type=int, default=8, help="VANBAN_EXCHANGE_PARALLEL of A (default 8)")
    parser.add_argument("--keep", action="store_true", help="keep the data directories (logs)")
    args = parser.parse_args(argv)

    it = _load_instances()
    root = Path(tempfile.mkdtemp(prefix="vanban-bench-exchange-"))
    database = None
    if not args.b_sqlite:
        server = it.postgres_server_url()
        problem = it.postgres_problem(server)
        if problem:
            sys.exit(f"PostgreSQL is not reachable at {server} ({problem}); use --b-sqlite")
        database = it.database_url(server, f"vanban_bench_exchange_b_{os.getpid()}")
    env = {
        # Retries quick enough for the kill run; the HTTP timeout stays at its default (30 s).
        "VANBAN_EXCHANGE_RETRY_FIRST_SECONDS": "1",
        "VANBAN_EXCHANGE_RETRY_MAX_SECONDS": "5",
        "VANBAN_EXCHANGE_HTTP_TIMEOUT_SECONDS": "30",
        "VANBAN_EXCHANGE_PARALLEL": str(args.parallel),
        "VANBAN_WEB_WORKERS": str(args.web_workers),
        "VANBAN_LOG_LEVEL": "WARNING",
    }
    log(
        f"vanban exchange benchmark: {args.count:,} packages per run, A (SQLite, H58) → "
        f"B ({'PostgreSQL' if database else 'SQLite'}, H59), loopback HTTPS, {os.cpu_count()} CPUs; data in {root}"
    )
    results = []
    failed = False
    try:
        with it.launch_pair(root, b_database=database, env=env, log=lambda m: log("   " + m)) as pair:
            code = pair.b.identifier(STTTT)
            watch = Watch(pair.a, pair.b)
            if args.runs in ("both", "steady"):
                results.append(one_run(pair, it, watch, code, args, tag="steady", kills=0))
            if args.runs in ("both", "kill"):
                results.append(one_run(pair, it, watch, code, args, tag="kill-b", kills=2))
            if args.profile_receive:
                profile_receive(pair, code, args.profile_receive)
            if args.micro:
                micro = run_child(pair.a, "_micro", str(args.micro), code)
                log(f"\n== per-package steps, in-process, {micro['packages']} packages of {micro['bytes']:,} bytes")
                for name, t in micro["ms"].items():
                    log(f"   {name:<58} {t['mean']:7.2f} ms mean  {t['p50']:7.2f} ms p50")
    finally:
        if args.keep:
            log(f"data kept in {root}")
        else:
            import shutil

            shutil.rmtree(root, ignore_errors=True)
    for r in results:
        failed |= r["lost"] > 0 or r["duplicated"] > 0
    log("\n== summary")
    for r in results:
        log(
            f"   {r['tag']:<7} ({r['mode']}) {r['rate']:6.1f} packages/s end to end ({r['e2e_seconds']:.1f} s);"
            f" dispatch {r['count'] / r['dispatch_seconds']:.0f}/s; sent {r['queued']:,} /"
            f" registered {r['stored_at_b']:,} / duplicated {r['duplicated']} / lost {r['lost']}"
        )
    log("   goal: ≥ 100 packages/s, 0 lost, 0 duplicated")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        op, rest = sys.argv[1], sys.argv[2:]
        if op == "_create":
            print(json.dumps(child_create(int(rest[0]), rest[1])))
        elif op == "_dispatch":
            print(json.dumps(child_dispatch(json.loads(Path(rest[0]).read_text()), rest[1])))
        elif op == "_make_packages":
            print(json.dumps(child_make_packages(int(rest[0]), rest[1], rest[2])))
        elif op == "_receive":
            print(json.dumps(child_receive(rest[0], rest[1])))
        elif op == "_micro":
            print(json.dumps(child_micro(int(rest[0]), rest[1])))
        else:
            sys.exit(f"unknown internal operation {op}")
        sys.exit(0)
    sys.exit(main())
