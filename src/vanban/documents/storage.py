"""Content-addressed file storage: a file is stored once under its SHA-256 and checked against
it every time it is read. Backed by the Django storage named "documents" (local disk by
default; any Django storage, such as django-storages' S3, by configuration)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, storages

CHUNK = 1024 * 1024


class CorruptFile(Exception):
    """The stored bytes no longer match their SHA-256."""


@dataclass(frozen=True)
class Digest:
    sha256: str
    size: int


def _store():
    return storages["documents"]


def path_for(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def digest(fh: BinaryIO) -> Digest:
    fh.seek(0)
    h = hashlib.sha256()
    size = 0
    while chunk := fh.read(CHUNK):
        h.update(chunk)
        size += len(chunk)
    fh.seek(0)
    return Digest(h.hexdigest(), size)


def put(fh: BinaryIO, d: Digest) -> None:
    """Store the content of `fh` under its digest, unless it is already there. Atomic on local
    disk (written to a temporary file, flushed, then renamed), so a crash never leaves a partial
    file under a valid name."""
    store = _store()
    name = path_for(d.sha256)
    if isinstance(store, FileSystemStorage):
        final = store.path(name)
        if os.path.exists(final) and os.path.getsize(final) == d.size:
            return
        directory = os.path.dirname(final)
        if not os.path.isdir(directory):
            os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                fh.seek(0)
                while chunk := fh.read(CHUNK):
                    out.write(chunk)
                out.flush()
                if getattr(settings, "VANBAN_FSYNC", True):
                    os.fsync(out.fileno())
            os.chmod(tmp, 0o640)
            os.replace(tmp, final)
            if getattr(settings, "VANBAN_FSYNC", True):
                # The rename itself must reach the disk before the database row that points to it.
                dir_fd = os.open(directory, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        finally:
            fh.seek(0)
        return
    if not store.exists(name):
        fh.seek(0)
        store.save(name, File(fh))
        fh.seek(0)


def verified_copy(sha256: str) -> BinaryIO:
    """A temporary file holding the stored content, checked against its SHA-256 before a single
    byte is handed out. Raises CorruptFile when the bytes on disk were altered."""
    tmp = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK)
    h = hashlib.sha256()
    with _store().open(path_for(sha256), "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            tmp.write(chunk)
    if h.hexdigest() != sha256:
        tmp.close()
        raise CorruptFile(sha256)
    tmp.seek(0)
    return tmp


def read_verified(sha256: str) -> bytes:
    with verified_copy(sha256) as fh:
        return fh.read()


def exists(sha256: str) -> bool:
    return _store().exists(path_for(sha256))


def check(sha256: str) -> str:
    """ "ok", "corrupt" or "missing" for one stored file."""
    try:
        verified_copy(sha256).close()
    except CorruptFile:
        return "corrupt"
    except FileNotFoundError:
        return "missing"
    return "ok"
