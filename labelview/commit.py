"""Commit staged output so that a crash at any instant (`kill -9`, power cut excepted) leaves
either the old output or the new one, never a mix.

Each OutputDir stages its files in a hidden folder inside its root: `<root>/.labelview-XXXX/new/`.
`commit_all()` moves them into place under a journal:

1. plan every move (nothing touched yet; a symbolic link or a file/folder clash is refused here);
2. write the journal `<base>/.labelview-journal-XXXX.pending` atomically (temp file, fsync,
   rename) and hold an exclusive lock on it while the commit runs;
3. for each move: rename the old file (if any) to `.labelview-XXXX/old/<n>`, then rename the new
   one into place — every rename through directory handles opened without following links;
4. rename the journal to `.done` (the commit point), remove the staging folders (with the old
   files), remove the journal.

`recover(folder)` — run by every OutputDir opening a folder and by `convert()` — finds a journal
whose process has died (its lock is free): `.pending` is rolled back (new files out, old files
back), `.done` is finished (old files removed). Staging folders left by a process killed before
its commit are removed too. A live commit or staging (lock held) is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from labelview.errors import OutputError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; recovery then assumes no concurrent commit
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from labelview.output import OutputDir

STAGING_PREFIX = ".labelview-"
JOURNAL_PREFIX = ".labelview-journal-"
NEW = "new"  # inside a staging folder: the staged tree
OLD = "old"  # inside a staging folder: files moved aside, one per move, named by its index
POINTER = "journal"  # inside a staging folder: where its journal is (relative path)

# Tests set this to kill the process at a chosen step (see tests/test_commit.py).
step_hook: Callable[[str], None] | None = None

_DIR_FDS = os.rename in os.supports_dir_fd and hasattr(os, "O_NOFOLLOW")


def _step(name: str) -> None:
    if step_hook is not None:
        step_hook(name)


def link_error(path: str) -> OutputError:
    return OutputError(
        f"{path} is a symbolic link: labelview does not write through links inside its output "
        "folder"
    )


# --- locks ----------------------------------------------------------------------------------------


def lock(path: str) -> int | None:
    """An open descriptor of `path` (file or folder) holding an exclusive lock; None when another
    process holds it (or the path is gone).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
    return fd


# --- planning -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _RootPlan:
    output: OutputDir
    staging: str  # absolute staging folder
    moves: list[str] = field(default_factory=list)  # relative final names, in order


def _plan(output: OutputDir, staging: str) -> _RootPlan:
    plan = _RootPlan(output, staging)
    replaceable = output.replaceable
    root = str(output.root)

    def walk(relative: str) -> None:
        with os.scandir(os.path.join(staging, NEW, relative)) as entries:
            names = sorted((entry.name, entry.is_dir(follow_symlinks=False)) for entry in entries)
        for name, is_dir in names:
            rel = f"{relative}/{name}" if relative else name
            final = os.path.join(root, rel)
            try:
                existing = os.lstat(final)
            except FileNotFoundError:
                plan.moves.append(rel)  # a whole new folder moves with one rename
                continue
            if stat.S_ISLNK(existing.st_mode) and is_dir:
                raise link_error(final)
            if stat.S_ISDIR(existing.st_mode):
                if not is_dir:
                    raise OutputError(f"{final} is a folder; labelview would write a file there")
                walk(rel)
                continue
            if is_dir:
                raise OutputError(f"{final} is a file; labelview would write a folder there")
            if not output.overwrite and rel not in replaceable:
                raise OutputError(f"{final} exists; pass --force to overwrite")
            plan.moves.append(rel)

    walk("")
    return plan


# --- directory handles that never follow links ---------------------------------------------


class _Folders:
    """Descriptors of the folders under one root, each opened with O_NOFOLLOW from its parent's:
    a link put in place after planning makes the rename fail instead of writing elsewhere.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self.fds: dict[str, int] = {}

    def fd(self, folder: str) -> int | None:
        if not _DIR_FDS:
            return None
        fd = self.fds.get(folder)
        if fd is None:
            if folder:
                parent, _, name = folder.rpartition("/")
                parent_fd = self.fd(parent)
                try:
                    fd = os.open(
                        name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent_fd
                    )
                except OSError as error:
                    if os.path.islink(os.path.join(self.root, folder)):
                        raise link_error(os.path.join(self.root, folder)) from None
                    raise error
            else:
                fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
            self.fds[folder] = fd
        return fd

    def target(self, relative: str) -> tuple[str, int | None]:
        """(name, dir_fd) to use for `relative` with the *_dir_fd arguments of os functions."""
        folder, _, name = relative.rpartition("/")
        fd = self.fd(folder)
        return (name, fd) if fd is not None else (os.path.join(self.root, relative), None)

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()


def _lexists(name: str, fd: int | None) -> bool:
    try:
        os.lstat(name, dir_fd=fd) if fd is not None else os.lstat(name)
    except FileNotFoundError:
        return False
    return True


def _remove(path: str) -> None:
    """Remove a file, link or (our own) folder, never following a link."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


# --- the journal ----------------------------------------------------------------------------------


def _write_journal(base: str, plans: list[_RootPlan]) -> tuple[str, int | None]:
    """Write the journal atomically; returns (its .pending path, locked descriptor)."""
    doc = {
        "version": 1,
        "roots": [
            {
                "staging": os.path.relpath(plan.staging, base),
                "root": os.path.relpath(plan.output.root, base),
                "created": plan.output.created_root,
                "moves": plan.moves,
            }
            for plan in plans
        ],
    }
    handle, temp = tempfile.mkstemp(prefix=JOURNAL_PREFIX, suffix=".tmp", dir=base)
    try:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)  # the lock moves with the file through renames
        os.write(handle, json.dumps(doc).encode("utf-8"))
        os.fsync(handle)
        pending = temp[: -len(".tmp")] + ".pending"
        for plan in plans:  # a staging folder knows its journal (recovery from its root)
            pointer = os.path.join(plan.staging, POINTER)
            with open(pointer, "w", encoding="utf-8") as stream:
                stream.write(os.path.relpath(pending, plan.staging))
        os.rename(temp, pending)
    except BaseException:
        os.close(handle)
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    return pending, handle


def commit_all(outputs: Sequence[OutputDir], base: str | os.PathLike[str] | None = None) -> None:
    """Move the staged files of every output into place as one transaction (journal in `base`,
    a folder containing every output's root; default: the first root).
    """
    staged = [(output, output.staging) for output in outputs if output.staging is not None]
    if not staged:
        return
    base = os.path.abspath(base if base is not None else staged[0][0].root)
    plans = [_plan(output, staging) for output, staging in staged]
    if not any(plan.moves for plan in plans):
        return
    pending, handle = _write_journal(base, plans)
    try:
        for plan in plans:
            _apply(plan)
        _step("commit point")
        done = pending[: -len(".pending")] + ".done"
        os.rename(pending, done)
        for plan in plans:
            _step("remove old")
            shutil.rmtree(plan.staging, ignore_errors=True)
        _step("remove journal")
        os.unlink(done)
    except BaseException:
        # An error (disk full, a link appeared): put the old files back before reporting it.
        if os.path.exists(pending):
            _rollback(_read(pending), base)
            os.unlink(pending)
        raise
    finally:
        if handle is not None:
            os.close(handle)


def _apply(plan: _RootPlan) -> None:
    folders = _Folders(str(plan.output.root))
    new = os.path.join(plan.staging, NEW)
    old = os.path.join(plan.staging, OLD)
    os.mkdir(old)
    old_fd = os.open(old, os.O_RDONLY | os.O_DIRECTORY) if _DIR_FDS else None
    try:
        for index, rel in enumerate(plan.moves):
            name, fd = folders.target(rel)
            if _lexists(name, fd):
                _step(f"aside {rel}")
                if fd is not None:
                    os.rename(name, str(index), src_dir_fd=fd, dst_dir_fd=old_fd)
                else:
                    os.rename(name, os.path.join(old, str(index)))
            _step(f"move {rel}")
            os.rename(os.path.join(new, rel), name, dst_dir_fd=fd)
    finally:
        folders.close()
        if old_fd is not None:
            os.close(old_fd)


def _read(journal: str) -> dict:
    with open(journal, encoding="utf-8") as stream:
        return json.load(stream)


def _valid(doc: object) -> bool:
    """True when a journal read back only names paths a commit of ours could have made: roots at
    the journal's folder or one level under it, staging folders directly inside their root, moves
    as plain relative names. A journal planted in a hostile folder can then touch nothing else.
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("roots"), list):
        return False
    for entry in doc["roots"]:
        if not isinstance(entry, dict):
            return False
        root, staging, moves = entry.get("root"), entry.get("staging"), entry.get("moves")
        if not (isinstance(root, str) and isinstance(staging, str) and isinstance(moves, list)):
            return False
        root_parts = [] if root == "." else root.split(os.sep)
        staging_parts = staging.split(os.sep)
        if len(root_parts) > 1 or any(part in ("", ".", "..") for part in root_parts):
            return False
        if staging_parts[:-1] != root_parts or not staging_parts[-1].startswith(STAGING_PREFIX):
            return False
        for move in moves:
            if not isinstance(move, str) or not move or move.startswith("/") or "\\" in move:
                return False
            if any(part in ("", ".", "..") for part in move.split("/")):
                return False
    return True


def _rollback(doc: dict, base: str) -> None:
    """Undo an interrupted commit: new files out, old files back, staging removed."""
    for entry in doc["roots"]:
        root = os.path.normpath(os.path.join(base, entry["root"]))
        staging = os.path.normpath(os.path.join(base, entry["staging"]))
        if not os.path.isdir(os.path.join(staging, NEW)):
            continue  # a pending commit keeps its staging folder: this journal is not ours
        folders = _Folders(root)
        try:
            for index in reversed(range(len(entry["moves"]))):
                rel = entry["moves"][index]
                backup = os.path.join(staging, OLD, str(index))
                final = os.path.join(root, rel)
                name, fd = folders.target(rel)  # refuses a path through a link
                if not os.path.lexists(os.path.join(staging, NEW, rel)):
                    _remove(final)  # the new one was moved in
                if os.path.lexists(backup):
                    os.rename(backup, name, dst_dir_fd=fd)
        finally:
            folders.close()
        shutil.rmtree(staging, ignore_errors=True)
        if entry.get("created") and os.path.isdir(root) and not os.listdir(root):
            os.rmdir(root)


def _finish(doc: dict, base: str) -> None:
    for entry in doc["roots"]:
        shutil.rmtree(os.path.normpath(os.path.join(base, entry["staging"])), ignore_errors=True)


# --- recovery -------------------------------------------------------------------------------------


def recover(folder: str | os.PathLike[str]) -> None:
    """Complete or roll back interrupted commits in `folder` and remove staging folders left by
    dead processes. Commits and stagings still running elsewhere are left alone.
    """
    folder = os.path.abspath(folder)
    try:
        with os.scandir(folder) as entries:
            names = [e.name for e in entries if e.name.startswith(STAGING_PREFIX)]
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return
    for name in sorted(names):  # journals (".labelview-journal-…") sort before most stagings
        path = os.path.join(folder, name)
        if name.startswith(JOURNAL_PREFIX):
            if name.endswith((".pending", ".done")):
                recover_journal(path)
            elif name.endswith(".tmp"):
                _drop_unlocked(path, os.unlink)
        elif os.path.isdir(path) and not os.path.islink(path):
            pointer = os.path.join(path, POINTER)
            if os.path.isfile(pointer):
                with open(pointer, encoding="utf-8", errors="replace") as stream:
                    journal = os.path.normpath(os.path.join(path, stream.read(4096).strip()))
                name = os.path.basename(journal)
                # Ours only: in this folder or its parent (several targets), named as we name them.
                if (
                    os.path.dirname(journal) in (folder, os.path.dirname(folder))
                    and name.startswith(JOURNAL_PREFIX)
                    and name.endswith(".pending")
                ):
                    recover_journal(journal)
                    recover_journal(journal[: -len(".pending")] + ".done")
            if os.path.isdir(path):
                _drop_unlocked(path, shutil.rmtree)


def _drop_unlocked(path: str, remove: Callable[[str], None]) -> None:
    fd = lock(path)
    if fd is None:
        return  # another process is using it
    try:
        remove(path)
    finally:
        os.close(fd)


def recover_journal(journal: str) -> None:
    """Roll back (`.pending`) or finish (`.done`) the commit of `journal` if its process is gone."""
    fd = lock(journal)
    if fd is None:
        return
    try:
        stem = journal.rsplit(".", 1)[0]
        base = os.path.dirname(journal)
        for suffix, action in ((".done", _finish), (".pending", _rollback)):
            path = stem + suffix
            if os.path.exists(path):
                try:
                    doc = _read(path)
                except (OSError, ValueError):
                    doc = None
                if not _valid(doc):
                    return  # torn or foreign: nothing we can act on safely; left as found
                action(doc, base)  # type: ignore[arg-type]
                os.unlink(path)
    finally:
        os.close(fd)
