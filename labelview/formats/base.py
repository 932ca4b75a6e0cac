"""What a format module provides, and the contexts readers and writers work in."""

from __future__ import annotations

import gc
import json
import threading
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack

import orjson
from pydantic import BaseModel, ConfigDict, Field

from labelview.errors import Cancelled, FormatError, Issue

if TYPE_CHECKING:
    from labelview.images import ImageResolver
    from labelview.model import Dataset
    from labelview.output import OutputDir

HEAD_BYTES = 64 * 1024
ProgressCallback = Callable[[int, int], None]


class Confidence(IntEnum):
    """How sure a format is that a file is its own."""

    NO = 0
    WEAK = 1  # right suffix, nothing more
    LIKELY = 2  # the expected top-level shape
    CERTAIN = 3  # a key only this format writes


@dataclass(frozen=True, slots=True)
class Detection:
    confidence: Confidence
    reason: str

    def __bool__(self) -> bool:
        return self.confidence > Confidence.NO


def no(reason: str) -> Detection:
    return Detection(Confidence.NO, reason)


@dataclass(slots=True)
class Probe:
    """A cheap look at an input: its suffix and first bytes (and member names for folders and zips).

    `detect()` functions look here only, never at the whole file.
    """

    path: Path
    head: bytes = b""
    is_dir: bool = False
    names: list[str] = field(
        default_factory=list
    )  # relative member names (folder walk or zip listing)
    size: int = 0

    @classmethod
    def of(cls, path: Path | str, *, max_names: int = 2000) -> Probe:
        from labelview.formats import _input

        path = Path(path)
        if path.is_dir():
            # Regular files only, no links out: detectors then open names from this list safely.
            names: list[str] = []
            for child in _input.walk(path):
                names.append(child.relative_to(path).as_posix())
                if len(names) >= max_names:
                    break
            return cls(path, b"", True, names, 0)
        head = _input.read_head(path, HEAD_BYTES)
        names = []
        if head.startswith(b"PK\x03\x04"):
            try:
                with zipfile.ZipFile(path) as archive:
                    names = archive.namelist()[:max_names]
            except (zipfile.BadZipFile, OSError, ValueError):
                names = []
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        return cls(path, head, False, names, size)

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()

    @property
    def text(self) -> str:
        """The head as text, with a UTF-8 BOM dropped and undecodable bytes replaced."""
        return self.head.decode("utf-8", errors="replace").lstrip("\ufeff")

    @property
    def is_zip(self) -> bool:
        return self.head.startswith(b"PK\x03\x04")

    def json_start(self) -> str:
        """'[' or '{' when the head starts like JSON, else ''."""
        stripped = self.text.lstrip()
        return stripped[:1] if stripped[:1] in "[{" else ""


@dataclass(slots=True)
class TaskControl:
    """Progress reporting and cancellation shared by reading and writing (thread-safe cancel)."""

    on_progress: ProgressCallback | None = None
    cancel_event: threading.Event | None = None
    on_stage: Callable[[str], None] | None = None

    def stage(self, text: str) -> None:
        """Announce a new phase ("Reading export.json") to whoever shows progress."""
        if self.on_stage is not None:
            self.on_stage(text)

    def progress(self, done: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(done, total)

    def check_cancelled(self) -> None:
        if self.cancel_event is not None and self.cancel_event.is_set():
            raise Cancelled("cancelled")


class IssueAt(TypedDict, total=False):
    """What an issue points at besides its `where`: item and object ids, another file than the
    one read (ReadContext.warn/error take these as keywords).
    """

    item: str | None
    obj: str | None
    file: Path | str | None


@dataclass(slots=True)
class ReadContext:
    """What a reader gets besides the path: options, progress, cancel, and where to put warnings."""

    file: Path
    images_dir: Path | None = None
    ontology: Path | None = None  # category schema / ontology companion file
    url_map: Path | None = None  # JSON {url: local path} for exports whose media are URLs
    allow_network: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    control: TaskControl = field(default_factory=TaskControl)
    issues: list[Issue] = field(default_factory=list)
    _images: ImageResolver | None = None

    @property
    def images(self) -> ImageResolver:
        """The one resolver of image references (URL map, then the folders beside the export and
        --images); built on first use. A URL map that cannot be read is a warning, not a failure.
        """
        if self._images is None:
            from labelview.images import ImageResolver, UrlMap, default_roots

            url_map = None
            if self.url_map is not None:
                try:
                    url_map = UrlMap.load(Path(self.url_map))
                except FormatError as error:
                    self.warn("", f"URL map not used: {error.message}", file=error.file)
            self._images = ImageResolver(default_roots(self.file, self.images_dir), url_map)
        return self._images

    def warn(self, where: str, message: str, **at: Unpack[IssueAt]) -> None:
        """Record a located warning; the reader keeps going."""
        self._record("warning", where, message, **at)

    def error(self, where: str, message: str, **at: Unpack[IssueAt]) -> None:
        """Record a located error for a part that could not be read (the rest still loads)."""
        self._record("error", where, message, **at)

    def _record(
        self,
        level: Literal["warning", "error"],
        where: str,
        message: str,
        *,
        item: str | None = None,
        obj: str | None = None,
        file: Path | str | None = None,
    ) -> None:
        # Named keywords (not a dict): a misspelt one still raises TypeError.
        self.issues.append(Issue(self._name(file), where, message, level, item, obj))

    def fail(self, where: str, message: str) -> FormatError:
        """An exception for input that cannot be read at all (raise it)."""
        return FormatError(self._name(None), where, message)

    def _name(self, file: Path | str | None) -> str:
        if file is None:
            return self.file.name
        # A relative name given as text (labels/train/a.txt) is kept whole: two splits may have
        # files of the same name.
        return file if isinstance(file, str) and not Path(file).is_absolute() else Path(file).name

    def progress(self, done: int, total: int) -> None:
        self.control.progress(done, total)

    def check_cancelled(self) -> None:
        self.control.check_cancelled()


@dataclass(slots=True)
class WriteReport:
    """What a writer wrote and what it could not carry."""

    format: str
    out: Path | None = None
    files: list[Path] = field(default_factory=list)
    items: int = 0
    objects: int = 0
    dropped: Counter[str] = field(default_factory=Counter)  # reason -> count
    notes: list[str] = field(default_factory=list)
    # `convert(verify=True)`: what reading the output back found (verify.Finding), None when not
    # verified (not asked, or the target has no reader).
    findings: list[Any] | None = None
    skipped: set[int] = field(default_factory=set)  # id() of objects reported by skip()
    # Image names that could not be files as given (too long, line breaks, reserved Windows
    # names, `..` parts…): original -> the name written.
    renamed: dict[str, str] = field(default_factory=dict)
    reshaped: set[int] = field(default_factory=set)  # id() of objects reported by reshape()

    def drop(self, reason: str, count: int = 1) -> None:
        """Count something the target cannot hold, grouped by reason."""
        self.dropped[reason] += count

    def skip(self, obj: object, reason: str) -> None:
        """Count an object not written at all (its image has no size, …); `verify` then does not
        look for it in the output.
        """
        self.dropped[reason] += 1
        self.skipped.add(id(obj))

    def reshape(self, obj: object) -> None:
        """Mark an object written with a shape changed in a way the report already counts (a
        panoptic segment trimmed by one over it); `verify` then checks all but its shape.
        """
        self.reshaped.add(id(obj))

    def summary(self) -> str:
        lines = [f"{self.format}: {self.items:,} items, {self.objects:,} objects written"]
        lines += [f"  dropped {count:,}: {reason}" for reason, count in self.dropped.most_common()]
        lines += [f"  note: {note}" for note in self.notes]
        if self.renamed:
            count = len(self.renamed)
            lines.append(f"  renamed {count:,} image names that cannot be files as given:")
            shown = list(self.renamed.items())[:5]
            lines += [f"    {old!r} -> {new!r}" for old, new in shown]
            if count > 5:
                lines.append(f"    … and {count - 5:,} more (see the JSON report)")
        if self.findings is not None:
            if not self.findings:
                lines.append("  verified: every object read back as written")
            else:
                lines.append(f"  verify: {len(self.findings):,} objects changed")
                lines += [f"    {finding}" for finding in self.findings[:20]]
                if len(self.findings) > 20:
                    lines.append(f"    … and {len(self.findings) - 20:,} more")
        return "\n".join(lines)


@dataclass(slots=True)
class WriteContext:
    """What a writer gets besides the dataset, the output folder and its options.

    `image_roots`: the folders written image names are made relative to (the user's images
    folder, then the export's folder); see `_writing.pictures`.
    """

    control: TaskControl = field(default_factory=TaskControl)
    issues: list[Issue] = field(default_factory=list)
    image_roots: list[Path] = field(default_factory=list)

    def progress(self, done: int, total: int) -> None:
        self.control.progress(done, total)

    def check_cancelled(self) -> None:
        self.control.check_cancelled()


Reader = Callable[[Path, ReadContext], "Dataset"]
Writer = Callable[["Dataset", "OutputDir", Any, WriteContext], WriteReport]


class NoOptions(BaseModel):
    """A writer without options."""

    model_config = ConfigDict(extra="forbid")


class WriterOptions(BaseModel):
    """Options every writer that places images understands; writers subclass it with their own
    fields.
    """

    model_config = ConfigDict(extra="forbid")

    # Linked by default: an output whose data.yaml / train.txt / file_name point at images that
    # are not there cannot be trained on or imported as it stands.
    images: Literal["none", "copy", "link"] = Field(
        "link",
        description="Put the images beside the labels: as links (hard link, else symlink, else"
        " copy), as copies, or not at all",
    )


@dataclass(frozen=True, slots=True)
class Format:
    """One format module's entry in the registry."""

    name: str  # short registry key, e.g. "coco"
    title: str  # what a user reads, e.g. "COCO JSON"
    suffixes: tuple[str, ...]
    detect: Callable[[Probe], Detection]
    read: Reader | None = None
    write: Writer | None = None
    options: type[BaseModel] = (
        NoOptions  # writer options (the GUI builds its fields from this model)
    )
    description: str = ""
    # What the writer can carry (`_writing.Holds`, or a function of its options returning one);
    # the registry computes every loss report from it.
    holds: Any = None

    @property
    def readable(self) -> bool:
        return self.read is not None

    @property
    def writable(self) -> bool:
        return self.write is not None


# --- helpers shared by readers --------------------------------------------------------------------


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many objects (it triples parse time on big JSON)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_json(path: Path, ctx: ReadContext | None = None, data: bytes | None = None) -> Any:
    """Parse a JSON file (or given bytes) with the GC paused; a located FormatError when it is not
    JSON.
    """
    from labelview import limits
    from labelview.formats import _input

    name = path.name
    try:
        raw = data if data is not None else _input.read_bytes(path)
    except OSError as error:
        raise FormatError(name, "", f"cannot read: {error.strerror or error}") from error
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a UTF-8 BOM (Windows tools write one); orjson refuses it
    deep = f"nested deeper than {limits.MAX_DEPTH} levels: not read"
    with gc_paused():
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            if "depth limit" in str(error):  # orjson stops at MAX_DEPTH; json would recurse on
                raise FormatError(name, f"byte {error.pos}", deep) from None
        # orjson's messages give a byte offset only; the stdlib parser says line and column.
        try:
            return json.loads(raw)
        except UnicodeDecodeError as error:
            raise FormatError(name, f"byte {error.start}", "not UTF-8 text") from error
        except json.JSONDecodeError as error:
            raise FormatError(
                name, f"line {error.lineno} column {error.colno}", f"invalid JSON: {error.msg}"
            ) from error
        except RecursionError:
            raise FormatError(name, "", deep) from None


def where(*parts: str | int) -> str:
    """A JSON path like `[12].task.tools[3]` from its parts (ints become [i], strings .key)."""
    out = []
    for part in (part for part in parts if part != ""):
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif out:
            out.append(f".{part}")
        else:
            out.append(str(part))
    return "".join(out)
