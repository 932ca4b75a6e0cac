"""Safe output: names from input files never escape the folder, nothing is overwritten unless
asked, and every file appears whole or not at all.

Writers write through an OutputDir. Files are staged in a hidden folder inside the output folder
and moved into place by `commit()` under a journal (labelview.commit): a crash at any instant
leaves the old files or the new ones, never a mix, and the next OutputDir opening the folder
completes or rolls back an interrupted commit. `discard()` — on error or cancel — removes the
staging folder, so a cancelled conversion leaves no half-written output. Nothing is ever written
through a symbolic link inside the output folder.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from labelview.commit import NEW, STAGING_PREFIX, commit_all, link_error, lock, recover
from labelview.errors import OutputError
from labelview.images import reference_parts

if TYPE_CHECKING:
    from labelview.formats.base import WriteReport

_DRIVE = re.compile(r"^[A-Za-z]:")
# Characters no file name should hold: line breaks and controls (they split the lines of
# train.txt or ImageSets lists), lone surrogates (they cannot be encoded at all).
_UNFILEABLE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029\ud800-\udfff]")
# Windows refuses these names, with any suffix (`con.txt`), case-insensitively.
_RESERVED = re.compile(r"^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])(?=\.|$)", re.I)
NAME_MAX = 255  # bytes per path component on every common file system
# A made-safe component leaves room under NAME_MAX for `_N` (UniqueStems) and a writer's suffix.
SAFE_NAME_MAX = 200
SAFE_PATH_MAX = 1000  # bytes of a relative name: well under PATH_MAX (4096) with a deep root


def file_name_problem(relative: str) -> str | None:
    """Why the relative POSIX name `relative` cannot be a file on this system, else None."""
    if _UNFILEABLE.search(relative):
        return "control character, line break or lone surrogate"
    if len(relative) * 4 > NAME_MAX and any(
        len(part.encode("utf-8")) > NAME_MAX for part in relative.split("/")
    ):
        return f"a part is longer than {NAME_MAX} bytes"
    return None


def safe_component(part: str) -> str:
    """One path component made a valid file name everywhere, deterministically: controls, line
    breaks and lone surrogates become `_`; a trailing dot or space becomes `_`; a reserved
    Windows name gets `_` (`CON.jpg` -> `CON_.jpg`); a name over SAFE_NAME_MAX bytes is cut and
    given a hash of the full name (`<start>~1a2b3c4d.jpg`) so two long names stay apart.
    """
    text = _UNFILEABLE.sub("_", part)
    if text[-1:] in (".", " ") and text not in (".", ".."):
        text = text.rstrip(". ") + "_"
    if _RESERVED.match(text):
        end = _RESERVED.match(text).end()  # type: ignore[union-attr]
        text = f"{text[:end]}_{text[end:]}"
    if len(text) * 4 > SAFE_NAME_MAX and len(text.encode("utf-8")) > SAFE_NAME_MAX:
        suffix = PurePosixPath(text).suffix
        if len(suffix.encode("utf-8")) > 16:
            suffix = ""
        tag = f"~{_digest(part)}{suffix}"
        room = SAFE_NAME_MAX - len(tag.encode("utf-8"))
        start = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
        text = start + tag
    return text


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def _safe_parts(parts: list[str]) -> list[str]:
    safe = [safe_component(part) for part in parts]
    if sum(len(part.encode("utf-8")) + 1 for part in safe) > SAFE_PATH_MAX:
        # Too deep: keep the file's own name under one folder named by a hash of the whole path.
        safe = [f"~{_digest('/'.join(parts))}", safe[-1]]
    return safe


def safe_relative(name: str) -> PurePosixPath:
    """A relative POSIX path from a name taken from an input file; OutputError if it would escape.

    Backslashes count as separators (Windows exports), drive letters and absolute paths are
    refused, and `..` segments are refused rather than resolved.
    """
    text = str(name).replace("\\", "/")
    if not text or text.startswith("/") or _DRIVE.match(text) or "\x00" in text:
        raise OutputError(f"unsafe output name {name!r}: absolute or empty")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if not parts or any(part == ".." for part in parts):
        raise OutputError(f"unsafe output name {name!r}: escapes the output folder")
    return PurePosixPath(*parts)


def _relative_text(name: str) -> str:
    """safe_relative(name) as a POSIX string, without pathlib for names that are plainly safe."""
    text = str(name)
    if (
        not text
        or text[0] in "/."
        or "\\" in text
        or "//" in text
        or "/." in text
        or text[-1] == "/"
        or "\x00" in text
        or (len(text) > 1 and text[1] == ":")
    ):
        return safe_relative(text).as_posix()  # validates, normalises or raises
    return text


def is_safe(name: str) -> bool:
    """True when `name` can be written as is (safe_relative accepts it)."""
    try:
        safe_relative(name)
    except OutputError:
        return False
    return True


def sanitised(
    name: str, report: WriteReport | None = None, *, original: str | None = None
) -> PurePosixPath | None:
    """`name` made safe to write under an output folder: separators unified, drive letters, leading
    slashes, `.` and `..` segments dropped (`../../x.jpg` -> `x.jpg`), every part a valid file name
    (safe_component); None when nothing is left.

    For writers that must keep going with an unsafe name from an input file (and report it): with
    `report`, a name whose parts had to change is recorded in `report.renamed` (under `original`,
    default `name`) and counted.
    """
    safe, changed = _sanitise(name)
    if report is not None and changed and safe is not None:
        note_renamed(report, original if original is not None else str(name), safe.as_posix())
    return safe


def _sanitise(name: str) -> tuple[PurePosixPath | None, bool]:
    """sanitised(name), and whether a part had to change to be a file name."""
    text = _DRIVE.sub("", str(name).replace("\\", "/").replace("\x00", ""))
    parts = [part for part in text.split("/") if part not in ("", ".", "..")]
    if not parts:
        return None, False
    safe = _safe_parts(parts)
    return PurePosixPath(*safe), safe != parts


RENAMED = "image names that cannot be files made safe (too long, control characters, reserved)"


def note_renamed(report: WriteReport, original: str, written: str) -> None:
    """Record in `report` that image name `original` is written as `written` (once per name)."""
    if original not in report.renamed:
        report.renamed[original] = written
        report.drop(RENAMED)


def safe_reference(raw: str, report: WriteReport) -> PurePosixPath:
    """An image reference (URL or path) as a safe relative path (`item` when nothing is left).

    A name that had to change (absolute, `..` parts) is counted in `report`; a URL is not unsafe.
    """
    parts = reference_parts(raw) if raw else PurePosixPath()
    safe, changed = _sanitise(parts.as_posix()) if parts.parts else (None, False)
    if safe is None:
        safe = PurePosixPath("item")
    if changed:
        note_renamed(report, raw, safe.as_posix())
    elif safe.as_posix() != raw.replace("\\", "/").lstrip("/") and "://" not in raw:
        report.drop("image names made safe (absolute or '..' parts removed)")
        report.renamed.setdefault(raw, safe.as_posix())
    return safe


class UniqueStems:
    """Safe output stems from image references, unique case-insensitively (so case-folding disks
    agree): `../a.jpg` -> `a`, then `A.png` -> `A_2`.
    """

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def make(self, raw: str, report: WriteReport) -> str:
        """The stem for image reference `raw` (made safe by safe_reference), not yet taken."""
        return self.claim(safe_reference(raw, report))

    def claim(self, path: PurePosixPath) -> str:
        """`path` without its suffix, with `_2`, `_3`... appended until no stem taken matches."""
        stem = path.with_suffix("").as_posix() if path.suffix else path.as_posix()
        candidate, n = stem, 2
        while candidate.lower() in self.taken:
            candidate, n = f"{stem}_{n}", n + 1
        self.taken.add(candidate.lower())
        return candidate


class OutputDir:
    """An output folder that stages writes and commits them atomically."""

    def __init__(self, root: Path | str, *, overwrite: bool = False) -> None:
        self.root = Path(root)
        self.overwrite = overwrite
        self.staging: str | None = None  # <root>/.labelview-XXXX (see labelview.commit)
        self._new = ""  # <staging>/new: the staged tree
        self._lock: int | None = None  # held while staging: recovery leaves a live one alone
        # Relative names as POSIX strings: pathlib costs microseconds per call, and writers of
        # YOLO or VOC datasets stage 100k files.
        self._written: list[str] = []
        self._seen: set[str] = set()  # _written as a set: O(1) checks
        self.created_root = False
        self.replaceable: set[str] = set()  # names replaced even without overwrite (a report)
        self._staged_dirs: set[str] = set()
        self._existing_dirs: dict[str, bool] = {}
        if self.root.is_dir():
            recover(self.root)  # an interrupted commit here is completed or rolled back first

    # -- naming ------------------------------------------------------------------------------------

    def safe_join(self, name: str) -> Path:
        """The final path for `name` inside the folder (OutputError when it would escape)."""
        return self.root.joinpath(*safe_relative(name).parts)

    def _stage_path(self, name: str, *, replace: bool = False) -> tuple[str, str]:
        relative = _relative_text(name)
        if relative in self._seen:
            raise OutputError(f"{relative} written twice in one conversion")
        problem = file_name_problem(relative)
        if problem:
            raise OutputError(f"unsafe output name {relative!r}: {problem}")
        folder = os.path.dirname(relative)
        if replace:
            self.replaceable.add(relative)
        elif not self.overwrite and self._may_exist(folder):
            final = os.path.join(self.root, relative)
            if os.path.lexists(final):
                raise OutputError(f"{final} exists; pass --force to overwrite")
        if self.staging is None:
            self._start()
        staged = os.path.join(self._new, relative)
        if folder not in self._staged_dirs:
            os.makedirs(os.path.dirname(staged), exist_ok=True)
            self._staged_dirs.add(folder)
        self._written.append(relative)
        self._seen.add(relative)
        return relative, staged

    def _start(self) -> None:
        self.created_root = not self.root.exists()
        self.root.mkdir(parents=True, exist_ok=True)
        self.staging = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.root)
        self._lock = lock(self.staging)
        self._new = os.path.join(self.staging, NEW)
        os.mkdir(self._new)

    def _may_exist(self, folder: str) -> bool:
        """False when the final file's folder did not exist before this conversion (cached per
        folder), so writers of 100k files pay one stat per folder, not one per file."""
        existed = self._existing_dirs.get(folder)
        if existed is None:
            _refuse_links(str(self.root), folder)
            existed = self._existing_dirs[folder] = os.path.isdir(os.path.join(self.root, folder))
        return existed

    # -- writing -----------------------------------------------------------------------------------

    def write_bytes(self, name: str, data: bytes, *, replace: bool = False) -> Path:
        """Stage `data` as `name`; returns the final path it will have after commit().

        `replace`: an existing file of that name is replaced even without `overwrite` (a report).
        """
        relative, staged = self._stage_path(name, replace=replace)
        # os.open skips the io layer: a third of the cost per file when writers make 100k of them.
        handle = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:  # one call writes at most ~2 GB
                view = view[os.write(handle, view) :]
        finally:
            os.close(handle)
        return self.root / relative

    def write_text(self, name: str, text: str) -> Path:
        return self.write_bytes(name, text.encode("utf-8"))

    def staged_path(self, name: str) -> tuple[Path, Path]:
        """(staging path to write to, final path), for writers needing a real file (PIL.save)."""
        relative, staged = self._stage_path(name)
        return Path(staged), self.root / relative

    def copy_file(self, source: Path, name: str, *, link: bool = False) -> Path:
        """Stage a copy (or a hard/sym link when asked) of `source` as `name`."""
        relative, staged = self._stage_path(name)
        if link:
            try:
                os.link(source, staged)
            except OSError:
                os.symlink(Path(source).resolve(), staged)
        else:
            shutil.copyfile(source, staged)
        return self.root / relative

    def has(self, name: str) -> bool:
        """True when `name` was already written in this conversion."""
        return _relative_text(name) in self._seen

    @property
    def written(self) -> list[Path]:
        return [self.root / relative for relative in self._written]

    # -- finishing ---------------------------------------------------------------------------------

    def check_free(self, names: list[str]) -> None:
        """OutputError before any work if one of `names` exists and overwriting was not asked."""
        if self.overwrite:
            return
        taken = [str(self.safe_join(name)) for name in names if self.safe_join(name).exists()]
        if taken:
            more = f" and {len(taken) - 3} more" if len(taken) > 3 else ""
            raise OutputError(f"{', '.join(taken[:3])}{more} exist; pass --force to overwrite")

    def commit(self) -> list[Path]:
        """Move every staged file into place as one transaction (see labelview.commit): after a
        crash at any instant the folder holds the old files or the new ones, never a mix.

        A staged folder whose final counterpart does not exist moves with one rename, so a
        conversion of 100k label files costs a handful of renames, not 100k.
        """
        if self.staging is None:
            return []
        try:
            commit_all([self])
        finally:
            self.discard()
        return self.written

    def discard(self) -> None:
        """Drop everything staged (after an error or a cancel)."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None
            if self._lock is not None:
                os.close(self._lock)
                self._lock = None
            if self.created_root and self.root.is_dir() and not any(self.root.iterdir()):
                self.root.rmdir()


def _refuse_links(root: str, folder: str) -> None:
    """OutputError when a folder on the way from `root` to `folder` is a symbolic link: writing
    through it would put files outside the output folder.
    """
    path = root
    for part in folder.split("/") if folder else ():
        path = os.path.join(path, part)
        if os.path.islink(path):
            raise link_error(path)


def atomic_write(path: Path | str, data: bytes) -> None:
    """Write one file atomically (temp file in the same folder, then rename) — for sidecars and
    reports.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
