"""The packagings of an Ango export: a JSON array (or one asset object), NDJSON, or a zip of those.

Each yields its assets with their Place (zip member, NDJSON line, JSON path), streamed where
possible (big video exports).
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from labelview.errors import FormatError
from labelview.formats._input import Refused, open_member, open_regular
from labelview.formats._reading import at, member
from labelview.formats.base import ReadContext, load_json


@dataclass(slots=True)
class _Source:
    """The assets of one file or zip member, each with its Place."""

    assets: Iterator[tuple[Place, Any]]
    total: int  # assets (JSON) or bytes (NDJSON) for progress
    done: Callable[[], int]


def _sources(path: Path, ctx: ReadContext) -> Iterator[_Source]:
    try:
        # A regular file only (a FIFO would block the open, /dev/zero never end).
        with open_regular(path) as stream:
            is_zip = zipfile.is_zipfile(stream)
            if not is_zip:
                stream.seek(0)
                yield _source_of(path, stream, os.fstat(stream.fileno()).st_size, "", ctx)
    except OSError as error:
        raise ctx.fail("", f"cannot read: {error.strerror or error}") from error
    if not is_zip:
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ctx.fail("", f"not a readable zip: {error}") from error
    with archive:
        infos = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        names = list(infos)
        members = [n for n in names if n.lower().endswith((".json", ".ndjson", ".jsonl"))]
        if not members and names:
            # The SDK reads namelist()[0] whatever its name: accept a first member that is JSON.
            with open_member(archive, infos[names[0]]) as stream:
                first = stream.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
            members = [names[0]] if first in (b"[", b"{") else []
        if not members:
            listed = ", ".join(names[:5]) or "none"
            raise ctx.fail("", f"the zip holds no JSON or NDJSON export (members: {listed})")
        skipped = [n for n in names if n not in members]
        if skipped:
            ctx.warn("", f"zip members that are not JSON were ignored: {', '.join(skipped[:5])}")
        for name in members:
            # Streamed from the archive: nothing is extracted to disk, and a member expanding
            # past limits.MAX_MEMBER_BYTES / MAX_RATIO (a zip bomb) is refused as it streams.
            try:
                stream = open_member(archive, infos[name])
            except Refused as error:
                ctx.error(name, f"{error}; member skipped")
                continue
            with stream:
                try:
                    source = _source_of(path, stream, infos[name].file_size, name, ctx)
                except FormatError as error:
                    # One broken member (truncated download, stray JSON) must not cost the rest.
                    place = name if error.where == name else member(name, error.where)
                    ctx.error(place, f"{error.message}; member skipped")
                    continue
                except (zipfile.BadZipFile, zlib.error, OSError) as error:
                    ctx.error(name, f"member unreadable ({error}); skipped")
                    continue
                yield source


def _source_of(path: Path, stream: IO[bytes], size: int, label: str, ctx: ReadContext) -> _Source:
    first = stream.readline()
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    if first.lstrip()[:1] == b"{":
        try:
            head = orjson.loads(first)
        except orjson.JSONDecodeError:
            head = None
        if isinstance(head, dict):
            # A whole asset on the first line: NDJSON, streamed line by line (big video exports).
            return _ndjson(stream, first, head, size, label, ctx)
    raw = first + stream.read()
    start = raw.lstrip()[:1]
    root: Any = None
    if start == b"[":
        root = load_json(Path(label) if label else path, ctx, data=raw)
    elif start == b"{":
        try:
            root = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return _ndjson(io.BytesIO(raw), b"", None, size, label, ctx)
    else:
        raise ctx.fail(label, "not an Ango export: expected a JSON array, an object or NDJSON")
    del raw
    if isinstance(root, dict):
        root = [root]  # one asset object (the docs' asset example)
    if not isinstance(root, list):
        raise ctx.fail(label, f"not an Ango export: top level is {type(root).__name__}")
    counter = [0]

    def assets() -> Iterator[tuple[Place, Any]]:
        for index, asset in enumerate(root):
            counter[0] = index
            yield Place(label, (index,)), asset

    return _Source(assets(), len(root), lambda: counter[0])


def _ndjson(
    stream: IO[bytes], first: bytes, parsed: Any, size: int, label: str, ctx: ReadContext
) -> _Source:
    position = [0]

    def assets() -> Iterator[tuple[Place, Any]]:
        offset = len(first)
        position[0] = offset
        if first:
            yield _line_place(label, 1), parsed
        for number, line in _lines(stream, label, ctx, start=2 if first else 1):
            offset += len(line)
            position[0] = offset
            line = line.strip()
            if not line:
                continue
            place = _line_place(label, number)
            try:
                asset = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                ctx.error(place(), f"invalid JSON, asset skipped (truncated line?): {error}")
                continue
            yield place, asset

    return _Source(assets(), size, lambda: position[0])


def _lines(
    stream: IO[bytes], label: str, ctx: ReadContext, start: int
) -> Iterator[tuple[int, bytes]]:
    """Numbered lines of a stream; a member refused while streaming (a zip bomb) ends with an
    error, and the assets read so far are kept.
    """
    number = start
    try:
        for line in stream:
            yield number, line
            number += 1
    except Refused as error:
        ctx.error(member(label, f"line {number}") if label else f"line {number}", f"{error}")


@dataclass(frozen=True, slots=True)
class Place:
    """Where a value sits: the zip member and/or NDJSON line (`label`) and the JSON path in it.

    `place("tools", 3)` is the location text (`a.json: [3].task.tools[3]`, `line 4: task.tools[3]`);
    `place.child(...)` a deeper place to hand down.
    """

    label: str = ""
    path: tuple[str | int, ...] = ()

    def child(self, *parts: str | int) -> Place:
        return Place(self.label, (*self.path, *parts))

    def __call__(self, *parts: str | int) -> str:
        return member(self.label, at(*self.path, *parts)) if self.label else at(*self.path, *parts)

    def __str__(self) -> str:
        return self()


def _line_place(label: str, number: int) -> Place:
    """An NDJSON line, inside a zip member when there is one: `a.ndjson: line 4`."""
    return Place(member(label, f"line {number}") if label else f"line {number}")
