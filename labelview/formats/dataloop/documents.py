"""The JSON documents of an input: a file, a folder or a zip of per-item files, gzip NDJSON.

Zip members are read in memory; unsafe member names (zip-slip) are skipped with a warning and
never touch the disk.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from labelview.errors import FormatError
from labelview.formats._input import Refused, gunzip, read_bytes, read_head, read_member, walk
from labelview.formats._reading import member
from labelview.formats.base import ReadContext, gc_paused, load_json
from labelview.formats.dataloop.detect import JSON_SUFFIXES, junk

_NON_SPACE = re.compile(rb"\S")
SKIP: Any = object()  # parse(): this document could not be read (already reported)


@dataclass(slots=True)
class Document:
    name: str  # path inside the folder/zip, '' for the input file itself
    load: Callable[[], bytes]


def _unsafe(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts or bool(re.match(r"^[A-Za-z]:", name))


def read_documents(path: Path, ctx: ReadContext, stack: ExitStack) -> Iterator[Document]:
    """The JSON documents of a file, folder or zip (a zip stays open until `stack` closes)."""
    if path.is_dir():

        def skipped(child: Path, message: str) -> None:
            rel = child.relative_to(path).as_posix() if child != path else ""
            if not rel or (rel.lower().endswith(JSON_SUFFIXES) and not junk(rel)):
                ctx.error(rel, message)

        # Regular files inside the folder only: a FIFO or a link to /dev/zero is never opened.
        for child in walk(path, "*", skipped):
            rel = child.relative_to(path).as_posix()
            if rel.lower().endswith(JSON_SUFFIXES) and not junk(rel):
                yield Document(rel, lambda child=child: read_bytes(child, path))
        return
    is_zip = read_head(path, 4) == b"PK\x03\x04"
    if not is_zip:
        yield Document("", lambda: read_bytes(path))
        return
    try:
        archive = stack.enter_context(zipfile.ZipFile(path))
    except (zipfile.BadZipFile, OSError) as error:
        raise ctx.fail("", f"not a readable zip: {error}") from error
    for info in sorted(archive.infolist(), key=lambda i: i.filename):
        name = info.filename
        if info.is_dir() or junk(name):
            continue
        if _unsafe(name):
            ctx.warn(name, "unsafe member name (absolute or '..'): skipped, never extracted")
            continue
        if not name.lower().endswith(JSON_SUFFIXES):
            continue
        # Expanded in chunks, refused past limits.MAX_MEMBER_BYTES / MAX_RATIO (a zip bomb).
        yield Document(name, lambda info=info: read_member(archive, info))


def parse(doc: Document, path: Path, ctx: ReadContext, single: bool) -> Any:
    """The JSON value of one document (NDJSON as `Lines`); SKIP when it cannot be read."""
    name = doc.name or path.name
    try:
        data = doc.load()
    except (OSError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError) as error:
        if single:
            raise ctx.fail("", f"cannot read: {error}") from error
        ctx.error(doc.name, f"cannot read member: {error}")
        return SKIP
    lower = name.lower()
    if data.startswith(b"\x1f\x8b") or lower.endswith(".gz"):
        try:
            data = gunzip(data)  # refused past the expansion limit (a gzip bomb)
        except Refused as error:
            if single:
                raise ctx.fail("", str(error)) from error
            ctx.error(doc.name, str(error))
            return SKIP
        except (OSError, EOFError, zlib.error) as error:
            if single:
                raise ctx.fail("", f"broken gzip data: {error}") from error
            ctx.error(doc.name, f"broken gzip data: {error}")
            return SKIP
        lower = lower.removesuffix(".gz")
    if lower.endswith((".ndjson", ".jsonl")) or looks_ndjson(data):
        return Lines(_ndjson(doc, data, ctx))
    try:
        return load_json(Path(name), ctx, data=data)
    except FormatError as error:
        if single:
            raise
        ctx.error(member(doc.name, error.where), error.message)
        return SKIP


def _ndjson(doc: Document, data: bytes, ctx: ReadContext) -> list[tuple[int, Any]]:
    records = []
    with gc_paused():
        for number, line in enumerate(data.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((number, orjson.loads(line)))
            except orjson.JSONDecodeError as error:
                where = f"line {number}"
                ctx.error(
                    member(doc.name, where) if doc.name else where, f"invalid JSON line: {error}"
                )
    return records


class Lines:
    """Parsed NDJSON records of one document."""

    __slots__ = ("records",)

    def __init__(self, records: list[tuple[int, Any]]) -> None:
        self.records = records


def looks_ndjson(data: bytes) -> bool:
    """Several JSON objects, one a line (a .json-named NDJSON partition); never copies `data`."""
    start = _NON_SPACE.search(data)
    if start is None or data[start.start() : start.start() + 1] != b"{":
        return False
    newline = data.find(b"\n", start.start())
    if newline < 0 or _NON_SPACE.search(data, newline) is None:
        return False
    try:
        return isinstance(orjson.loads(data[start.start() : newline]), dict)
    except orjson.JSONDecodeError:
        return False
