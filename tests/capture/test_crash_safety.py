"""Crash safety of digitisation, on a real installation (`vanban up`, its own SQLite database).

1. `vanban capture import DIR` is SIGKILLed in the middle of an import; run again, it imports the
   rest: every file exactly once (by its SHA-256), nothing refused.
2. The whole installation (web server and task worker) is SIGKILLed while the worker is in the
   middle of a scan's OCR; started again, the worker's recovery re-queues that scan once its
   lease has run out (6 s here) and every scan ends recognised and indexed: `vanban search check`
   is clean and each scan is found by a word only its own text holds.

Like the two-instance exchange tests, this starts its own installation: it runs in the SQLite half
of `make test` and is skipped in the PostgreSQL half (the services it drives are tested on both).
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[2]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
AGENCY = "82-STTTT"
FILES = 12

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        bool(os.environ.get("VANBAN_DATABASE_URL")),
        reason="starts its own installation: runs once, in the SQLite half of the suite",
    ),
]


def _instances():
    """tests/exchange/instances.py (no Django), loaded by path: `tests/` is not a package."""
    if "vanban_instances" in sys.modules:
        return sys.modules["vanban_instances"]
    spec = importlib.util.spec_from_file_location("vanban_instances", ROOT / "tests" / "exchange" / "instances.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["vanban_instances"] = module
    spec.loader.exec_module(module)
    return module


def _code(i: int) -> str:
    return f"{i + 1:02d}{(i * 37) % 100:02d}7"  # a number only this scan holds, e.g. "01007"


def _scan(path: Path, i: int) -> None:
    """A 300 dpi strip of typed Vietnamese with its own number."""
    font = ImageFont.truetype(FONT, 42)
    im = Image.new("L", (1600, 260), 255)
    draw = ImageDraw.Draw(im)
    draw.text((60, 40), f"Biên bản số {_code(i)} về việc bàn giao hồ sơ", font=font, fill=0)
    draw.text((60, 140), "Ủy ban nhân dân xã Bình Phan lưu trữ", font=font, fill=0)
    im.save(path, dpi=(300, 300))


def _db(inst):
    conn = sqlite3.connect(f"file:{inst.sqlite_path}?mode=ro", uri=True, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def _captures(inst) -> list[tuple]:
    with _db(inst) as conn:
        return conn.execute("SELECT id, original_id, status, attempts FROM capture_capture ORDER BY id").fetchall()


def _wait(what, predicate, timeout: float, inst):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"{what}: not after {timeout:.0f} s\n{inst.log_tail()}")


@pytest.fixture(scope="module")
def inst(tmp_path_factory):
    it = _instances()
    instance = it.Instance(
        "capture",
        tmp_path_factory.mktemp("capture-crash"),
        env={"VANBAN_CAPTURE_LEASE_SECONDS": "6", "OMP_THREAD_LIMIT": "1"},
    )
    instance.prepare()
    yield instance
    instance.kill()


def test_killed_import_and_killed_worker_end_with_every_scan_once_and_indexed(inst, tmp_path):
    scans = tmp_path / "kho-luu-tru"
    (scans / "hop-1").mkdir(parents=True)
    for i in range(FILES):
        _scan(scans / ("hop-1" if i % 2 else "") / f"trang-{i:02d}.png", i)
    command = [str(_instances().VANBAN), "capture", "import", str(scans), "--agency", AGENCY]

    # 1. The import is killed part-way (no worker runs yet: the scans wait in the queue).
    importer = subprocess.Popen(
        command,
        env=inst.env,
        cwd=inst.data_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    _wait("a first scan imported", lambda: len(_captures(inst)) >= 1, 60, inst)
    os.killpg(importer.pid, signal.SIGKILL)
    importer.communicate()
    at_kill = len(_captures(inst))
    assert 1 <= at_kill < FILES, f"the import was not interrupted part-way ({at_kill} of {FILES})"

    rerun = inst.cli("capture", "import", str(scans), "--agency", AGENCY)
    imported, skipped = (int(x) for x in re.findall(r"imported (\d+), skipped (\d+)", rerun.stdout)[0])
    assert (imported + skipped, skipped) == (FILES, at_kill), rerun.stdout
    assert "refused 0" in rerun.stdout
    rows = _captures(inst)
    assert len(rows) == FILES and len({r[1] for r in rows}) == FILES  # each file once

    # 2. The installation is killed while its worker recognises a scan; then started again.
    inst.start()
    running = _wait(
        "a scan being recognised",
        lambda: [r for r in _captures(inst) if r[2] == "running"],
        120,
        inst,
    )
    inst.kill()
    victim = running[0][0]
    assert dict((r[0], r[2]) for r in _captures(inst))[victim] == "running"  # left mid-run
    inst.start()
    _wait(
        "every scan recognised",
        lambda: all(r[2] == "done" for r in _captures(inst)),
        300,
        inst,
    )
    rows = _captures(inst)
    assert len(rows) == FILES and len({r[1] for r in rows}) == FILES
    attempts = {r[0]: r[3] for r in rows}
    assert attempts[victim] == 2, attempts  # run again once after the kill, not lost, not doubled
    inst.stop()

    check = inst.cli("search", "check", check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    found = inst.shell(
        """
from vanban.capture import services
from vanban.capture.models import Capture
from vanban.orgs.models import Person
clerk = Person.objects.get(username="vanthu.stttt")
out({code: [h.source_id for h in services.search_archive(clerk, code).hits] for code in P})
""",
        [_code(i) for i in range(FILES)],
    )
    names = dict(
        inst.shell(
            "from vanban.capture.models import Capture\nout(list(Capture.objects.values_list('id', 'original_name')))"
        )
    )
    for i in range(FILES):
        hits = found[_code(i)]
        assert len(hits) == 1 and names[hits[0]] == f"trang-{i:02d}.png", (i, hits)
