"""The input toolkit: every reader opens, walks and expands its input through these functions.

What a hostile input could otherwise do, and what stops it here:
- a FIFO named `a.xml` blocks a read forever, a link to `/dev/zero` is read until memory runs out:
  only regular files are read (`open_regular`, opened non-blocking and checked with fstat);
- a link inside the input folder to `/etc/shadow` or `~/.ssh` leaks it into an output: a walked
  file or a companion file must resolve inside the folder it was found in;
- a 2 MB zip expands to 4 GB, a 26 MB gzip to 6 GB: members and streams are expanded in chunks
  and refused past `limits.MAX_MEMBER_BYTES` or `limits.MAX_RATIO` times their compressed size;
- a folder of millions of files: `walk` stops at `limits.MAX_FILES_WALKED`;
- JSON nested past `limits.MAX_DEPTH` (orjson's own limit) is refused, never a RecursionError;
- XML in any encoding goes through defusedxml (`parse_xml`) unless it is plain UTF-8 without a
  DTD, which the C parser reads safely and faster.

A refusal is `limits.Refused`, an OSError and a ValueError at once: the reader's handler for
"this file cannot be read" or for "this object is bad" catches it, so only that file, member or
object is skipped, with a located message.
"""

from __future__ import annotations

import fnmatch
import gzip
import io
import os
import re
import stat
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import defusedxml
import defusedxml.ElementTree as SafeET

from labelview import limits
from labelview.limits import Refused

__all__ = [
    "XML_ERRORS",
    "Refused",
    "expansion_limit",
    "gunzip",
    "is_regular",
    "open_member",
    "open_regular",
    "parse_xml",
    "read_bytes",
    "read_head",
    "read_member",
    "read_text",
    "walk",
    "xml_problem",
]

_CHUNK = 1 << 20
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOCTTY", 0) | _NONBLOCK

OnSkip = Callable[[Path, str], None]


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _inside(path: Path | str, root: Path | str) -> bool:
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _check_inside(path: Path | str, root: Path | str | None) -> None:
    if root is not None and not _inside(path, root):
        raise Refused("a link to outside the input folder: not read")


def open_regular(path: Path | str, root: Path | str | None = None) -> BinaryIO:
    """`path` opened for binary reading; Refused when it is not a regular file (a FIFO, a device,
    a socket, a folder) or, given `root`, when it resolves outside `root`.

    Opened non-blocking, so a FIFO cannot block the open; the check is on the opened descriptor,
    so nothing can be swapped in between the check and the read.
    """
    _check_inside(path, root)
    descriptor = os.open(path, _FLAGS)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise Refused(f"{_kind(mode)}, not a regular file: not read")
        if _NONBLOCK:
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def is_regular(path: Path | str, root: Path | str | None = None) -> bool:
    """Whether `path` is a regular file (after links), inside `root` when given."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
    except (OSError, ValueError):
        return False
    return root is None or _inside(path, root)


def read_bytes(path: Path | str, root: Path | str | None = None, limit: int | None = None) -> bytes:
    """The whole of a regular file, refused past `limit` bytes (`limits.MAX_FILE_BYTES`)."""
    limit = limits.MAX_FILE_BYTES if limit is None else limit
    with open_regular(path, root) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise Refused(f"file of {size:,} bytes, {limits.over('MAX_FILE_BYTES')}: not read")
        data = handle.read(size + 1)
        if len(data) <= size:
            return data
        # The file grew while read (or its size lies): read on in chunks, up to the limit.
        chunks = [data]
        total = len(data)
        while chunk := handle.read(_CHUNK):
            total += len(chunk)
            if total > limit:
                raise Refused(f"file grows past {limit:,} bytes (LABELVIEW_MAX_FILE_BYTES)")
            chunks.append(chunk)
        return b"".join(chunks)


def read_text(
    path: Path | str,
    root: Path | str | None = None,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> str:
    """read_bytes decoded."""
    return read_bytes(path, root).decode(encoding, errors)


def read_head(path: Path | str, size: int, root: Path | str | None = None) -> bytes:
    """The first `size` bytes of a regular file; b"" for anything else or any error (detectors
    look at heads only and must never block or fail).
    """
    try:
        with open_regular(path, root) as handle:
            return handle.read(size)
    except (OSError, ValueError):
        return b""


def walk(
    root: Path | str,
    pattern: str = "*",
    on_skip: OnSkip | None = None,
    limit: int | None = None,
) -> list[Path]:
    """The regular files under `root` whose name matches `pattern` (case-sensitive, like
    `Path.rglob`), sorted like `sorted(root.rglob(pattern))`.

    Links to folders are not followed. A matching name that is not a regular file, or a link that
    resolves outside `root`, is passed to `on_skip(path, message)` and left out. The walk stops
    (and says so through `on_skip`) after `limit` entries (`limits.MAX_FILES_WALKED`).
    """
    root = Path(root)
    limit = limits.MAX_FILES_WALKED if limit is None else limit
    real_root = os.path.realpath(root)
    found: list[Path] = []
    pending = [str(root)]
    seen = 0
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as error:
            if on_skip is not None and folder != str(root):
                on_skip(Path(folder), f"folder cannot be read: {error.strerror or error}")
            continue
        for entry in entries:
            seen += 1
            if seen > limit:
                if on_skip is not None:
                    message = f"stopped walking the folder after {limit:,} entries"
                    on_skip(root, f"{message} (LABELVIEW_MAX_FILES_WALKED)")
                return sorted(found)
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                    continue
                if not fnmatch.fnmatchcase(entry.name, pattern):
                    continue
                problem = _entry_problem(entry, real_root)
            except OSError as error:
                problem = f"cannot be read: {error.strerror or error}"
            if problem:
                if on_skip is not None:
                    on_skip(Path(entry.path), problem)
                continue
            found.append(Path(entry.path))
    return sorted(found)


def _entry_problem(entry: os.DirEntry[str], real_root: str) -> str:
    if entry.is_symlink():
        try:
            mode = os.stat(entry.path).st_mode
        except OSError:
            return "a broken link: skipped"
        if stat.S_ISDIR(mode):
            return ""  # a link to a folder is not followed (rglob did not either); say nothing
        if not stat.S_ISREG(mode):
            return f"a link to {_kind(mode)}, not a regular file: skipped"
        real = os.path.realpath(entry.path)
        if not real.startswith(real_root.rstrip(os.sep) + os.sep):
            return "a link to outside the input folder: skipped"
        return ""
    mode = entry.stat(follow_symlinks=False).st_mode
    if not stat.S_ISREG(mode):
        return f"{_kind(mode)}, not a regular file: skipped"
    return ""


# --- archives and compressed streams --------------------------------------------------------------


def expansion_limit(compressed: int) -> int:
    """How many bytes `compressed` bytes may expand to: MAX_RATIO times, at least RATIO_FROM, at
    most MAX_MEMBER_BYTES.
    """
    by_ratio = max(limits.RATIO_FROM, limits.MAX_RATIO * max(compressed, 1))
    return min(limits.MAX_MEMBER_BYTES, by_ratio)


def _refuse_expansion(what: str, compressed: int, expanded: int) -> Refused:
    allowed = expansion_limit(compressed)
    if allowed == limits.MAX_MEMBER_BYTES:
        why = f"more than {allowed:,} bytes (LABELVIEW_MAX_MEMBER_BYTES)"
    else:
        why = (
            f"more than {limits.MAX_RATIO}× its {compressed:,} compressed bytes"
            " (LABELVIEW_MAX_RATIO), like a compression bomb"
        )
    return Refused(f"{what} expands to {why}: not read")


def _expand(stream: BinaryIO, what: str, compressed: int) -> bytes:
    allowed = expansion_limit(compressed)
    chunks: list[bytes] = []
    total = 0
    while chunk := stream.read(_CHUNK):
        total += len(chunk)
        if total > allowed:
            raise _refuse_expansion(what, compressed, total)
        chunks.append(chunk)
    return b"".join(chunks)


class _Bounded(io.RawIOBase):
    """A stream that raises Refused once more than `allowed` bytes have come out of it."""

    def __init__(self, inner: BinaryIO, what: str, compressed: int) -> None:
        self.inner, self.what, self.compressed = inner, what, compressed
        self.allowed = expansion_limit(compressed)
        self.total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        self.total += len(data)
        if self.total > self.allowed:
            raise _refuse_expansion(self.what, self.compressed, self.total)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()


def open_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo | str) -> BinaryIO:
    """One zip member as a stream (read, readline, iterate) that raises Refused once it expands
    past the expansion limit; for readers that stream a member instead of reading it whole.
    """
    info = member if isinstance(member, zipfile.ZipInfo) else archive.getinfo(member)
    if info.file_size > expansion_limit(info.compress_size):
        raise _refuse_expansion("zip member", info.compress_size, info.file_size)
    inner = archive.open(info)
    return io.BufferedReader(_Bounded(inner, "zip member", info.compress_size), _CHUNK)  # type: ignore[arg-type,return-value]


def read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo | str) -> bytes:
    """One zip member's bytes, expanded in chunks and refused past the expansion limit (the
    declared size is checked first, then the real one as it streams).
    """
    info = member if isinstance(member, zipfile.ZipInfo) else archive.getinfo(member)
    if info.file_size > expansion_limit(info.compress_size):
        raise _refuse_expansion("zip member", info.compress_size, info.file_size)
    with archive.open(info) as stream:
        return _expand(stream, "zip member", info.compress_size)  # type: ignore[arg-type]


def gunzip(data: bytes) -> bytes:
    """Gzip data (one or more members) expanded in chunks, refused past the expansion limit.
    Raises what gzip raises for broken data (OSError, EOFError, zlib.error).
    """
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
        return _expand(stream, "gzip data", len(data))  # type: ignore[arg-type]


# --- XML ------------------------------------------------------------------------------------------

# What parse_xml raises for a document that is refused or not XML (besides Refused).
XML_ERRORS = (
    ET.ParseError,
    defusedxml.DTDForbidden,
    defusedxml.EntitiesForbidden,
    defusedxml.ExternalReferenceForbidden,
    defusedxml.NotSupportedError,
)
_DECLARED = re.compile(rb"\A<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")
_PLAIN = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
# Byte-order marks and the first bytes of `<?` in encodings without one (XML 1.0 appendix F).
_SIGNATURES = (
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xfe\xff", "utf-16"),
    (b"\xff\xfe", "utf-16"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)


def _encoding(raw: bytes) -> str:
    """The encoding of an XML document: its BOM, the shape of its first bytes, its declaration."""
    for signature, codec in _SIGNATURES:
        if raw.startswith(signature):
            return codec
    declared = _DECLARED.match(raw[:200])
    return declared.group(1).decode("ascii").lower() if declared else "utf-8"


def _as_plain_utf8(raw: bytes) -> bytes:
    """`raw` as UTF-8 without an encoding declaration, which expat then reads byte for byte as
    checked here. A document in UTF-16/32 or a declared single-byte encoding (EBCDIC, …) could
    otherwise hide `<!ENTITY` from a byte search, or reach expat's "multi-byte encodings are not
    supported".
    """
    codec = _encoding(raw)
    if codec in _PLAIN:
        return raw
    try:
        text = raw.decode(codec)
    except LookupError:
        raise ET.ParseError(f"unknown encoding {codec!r}") from None
    except UnicodeDecodeError as error:
        raise ET.ParseError(f"not {codec} text (byte {error.start})") from None
    return _DECLARATION.sub("", text.lstrip("\ufeff"), count=1).encode("utf-8")


def parse_xml(raw: bytes, *, forbid_dtd: bool = False) -> ET.Element:
    """Parse an XML document of any encoding without expanding entities or fetching anything.

    Entity declarations (billion laughs) and external references are refused by defusedxml, in
    every encoding (a document is made UTF-8 first); a DTD too when `forbid_dtd`. UTF-8 without
    `<!DOCTYPE` or `<!ENTITY` cannot declare anything, and is read by the C parser (3× faster).
    Raises one of XML_ERRORS.
    """
    raw = _as_plain_utf8(raw)
    try:
        if b"<!DOCTYPE" not in raw and b"<!ENTITY" not in raw:
            return ET.fromstring(raw)
        return SafeET.fromstring(raw, forbid_dtd=forbid_dtd)
    except defusedxml.DefusedXmlException:
        raise
    except ValueError as error:  # expat's own refusals (an encoding it cannot handle)
        raise ET.ParseError(str(error)) from None


def xml_problem(error: BaseException) -> str:
    """A user's sentence for one of XML_ERRORS."""
    if isinstance(error, (defusedxml.DTDForbidden, defusedxml.EntitiesForbidden)):
        return f"refused: the XML declares a DTD or entities ({type(error).__name__})"
    if isinstance(error, defusedxml.ExternalReferenceForbidden):
        return "refused: the XML refers to an external entity"
    return f"not well-formed XML: {error}"
