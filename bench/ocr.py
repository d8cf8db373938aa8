"""OCR benchmark: accuracy (CER per page) and throughput of the capture pipeline.

Over the shared test pages (`../shared/data/ocr/`, true text in NAME.txt), each page as given and
also rotated 90°, rotated 180° and skewed 3° (variants made with Pillow, written losslessly with
the page's resolution) goes through `capture.ocr.ocr_to_pdfa` (OCRmyPDF: rotation, deskew,
PDF/A-2b). The character error rate is the Levenshtein distance / length of the truth after NFC
and folding runs of whitespace to one space. Goal: CER ≤ 1% on every page.

Throughput: the same pages through the whole pipeline, two processes in parallel (jobs=1 each),
versus `tesseract IMG out -l vie` alone, also two in parallel; OMP_THREAD_LIMIT=1 for both.
Goal: pipeline time ≤ 1.2× tesseract's. (tesseract's own CER is printed for reference.)

    .venv/bin/python bench/ocr.py
    .venv/bin/python bench/ocr.py --pages /work/shared/data/ocr --only-given
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

DEFAULT_PAGES = Path(__file__).resolve().parents[2] / "shared" / "data" / "ocr"
VARIANTS = ("given", "rot90", "rot180", "skew3")


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def cer(truth: str, text: str) -> float:
    t, h = normalise(truth), normalise(text)
    return levenshtein(t, h) / max(1, len(t))


def make_variants(src: Path, out_dir: Path, variants) -> list[tuple[str, str, Path]]:
    from PIL import Image

    out = []
    with Image.open(src) as im:
        dpi = im.info.get("dpi") or (300, 300)
        im = im.convert("L")
        for v in variants:
            if v == "given":
                out.append((src.stem, v, src))
                continue
            if v == "rot90":
                img = im.transpose(Image.Transpose.ROTATE_90)
            elif v == "rot180":
                img = im.transpose(Image.Transpose.ROTATE_180)
            elif v == "skew3":
                img = im.rotate(3, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
            path = out_dir / f"{src.stem}-{v}.png"
            img.save(path, dpi=dpi)
            out.append((src.stem, v, path))
    return out


def _pipeline(job: tuple[str, str]) -> tuple[str, float]:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    from vanban.capture.ocr import ocr_to_pdfa

    src, out = job
    t = time.perf_counter()
    result = ocr_to_pdfa(src, out, jobs=1)
    return result.text, time.perf_counter() - t


def _tesseract(job: tuple[str, str]) -> tuple[str, float]:
    src, out_base = job
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    t = time.perf_counter()
    subprocess.run(["tesseract", src, out_base, "-l", "vie"], check=True, env=env, capture_output=True)
    elapsed = time.perf_counter() - t
    return Path(out_base + ".txt").read_text(encoding="utf-8"), elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES, help="folder of NAME.png/jpg + NAME.txt")
    parser.add_argument("--only-given", action="store_true", help="no rotated/skewed variants")
    parser.add_argument("--processes", type=int, default=2, help="parallel processes (default 2)")
    args = parser.parse_args(argv)
    if not shutil.which("tesseract"):
        sys.exit("tesseract is not installed")
    os.environ["OMP_THREAD_LIMIT"] = "1"
    sources = sorted(p for p in args.pages.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    truths = {p.stem: (args.pages / f"{p.stem}.txt").read_text(encoding="utf-8") for p in sources}
    work = Path(tempfile.mkdtemp(prefix="vanban-bench-ocr-"))
    try:
        variants = ("given",) if args.only_given else VARIANTS
        pages = [v for src in sources for v in make_variants(src, work, variants)]
        n = len(pages)
        print(
            f"vanban OCR benchmark: {len(sources)} pages × {len(variants)} variants = {n} pages, "
            f"{args.processes} processes, OMP_THREAD_LIMIT=1"
        )

        with ProcessPoolExecutor(args.processes) as pool:
            t = time.perf_counter()
            pipe = list(pool.map(_pipeline, [(str(p), str(work / f"{i}.pdf")) for i, (_s, _v, p) in enumerate(pages)]))
            pipe_wall = time.perf_counter() - t
        with ProcessPoolExecutor(args.processes) as pool:
            t = time.perf_counter()
            tess = list(pool.map(_tesseract, [(str(p), str(work / f"t{i}")) for i, (_s, _v, p) in enumerate(pages)]))
            tess_wall = time.perf_counter() - t

        print(f"\n   {'page':<30} {'variant':<7} {'pipeline CER':>12} {'s':>6}   {'tesseract CER':>13} {'s':>6}")
        worst = 0.0
        for (stem, v, _p), (ptext, psec), (ttext, tsec) in zip(pages, pipe, tess, strict=True):
            c, tc = cer(truths[stem], ptext), cer(truths[stem], ttext)
            worst = max(worst, c)
            flag = "" if c <= 0.01 else "  ✗"
            print(f"   {stem:<30} {v:<7} {c:11.2%} {psec:6.1f}   {tc:12.2%} {tsec:6.1f}{flag}")
        ratio = pipe_wall / tess_wall
        print(
            f"\n   accuracy goal CER ≤ 1% on every page — {'met' if worst <= 0.01 else 'NOT met'} (worst {worst:.2%})"
        )
        print(f"   pipeline (ocr_to_pdfa):  {n} pages in {pipe_wall:6.1f} s = {n / pipe_wall * 60:6.1f} pages/min")
        print(f"   tesseract -l vie alone:  {n} pages in {tess_wall:6.1f} s = {n / tess_wall * 60:6.1f} pages/min")
        print(f"   speed goal pipeline ≤ 1.2× tesseract — {'met' if ratio <= 1.2 else 'NOT met'} (ratio {ratio:.2f}×)")
        return 0 if worst <= 0.01 and ratio <= 1.2 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
