"""Commits that cannot corrupt an output: `kill -9` at any instant of a real conversion over an
existing output leaves exactly the old files or exactly the new ones, and a commit failing halfway
puts the old set back whole.
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from labelview import commit
from labelview.cli import main
from labelview.convert import convert
from labelview.output import OutputDir

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or not hasattr(os, "fork"), reason="kill -9 needs fork() and signals"
)

TARGETS = ["yolo", "coco"]  # two targets: out/yolo and out/coco, one transaction


def _coco(folder: Path, images: dict[str, tuple[int, int, int, int]]) -> Path:
    """A COCO export with one box per image (and the image files, which get linked)."""
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"images": [], "annotations": [], "categories": [{"id": 1, "name": "car"}]}
    for index, (name, box) in enumerate(images.items(), 1):
        doc["images"].append({"id": index, "file_name": name, "width": 64, "height": 48})
        doc["annotations"].append(
            {
                "id": index,
                "image_id": index,
                "category_id": 1,
                "bbox": list(box),
                "area": 4,
                "iscrowd": 0,
            }
        )
        (folder / name).write_bytes(f"fake image {name}".encode())
    path = folder / "export.json"
    path.write_text(json.dumps(doc))
    return path


def _snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under `folder`, hidden ones too: file bytes, or `link -> target`."""
    found: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            relative = os.path.relpath(path, folder)
            if os.path.islink(path):
                found[relative] = f"link -> {os.readlink(path)}"
            elif os.path.isfile(path):
                with open(path, "rb") as stream:
                    found[relative] = stream.read()
            else:
                found[relative] = "folder"
    return found


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """An old output (two targets, a JSON report, a file of the user's), the new source, and the
    exact file sets before and after an uninterrupted `--force` conversion.
    """
    tmp = tmp_path_factory.mktemp("commit")
    old_source = _coco(tmp / "old", {"a.jpg": (1, 1, 4, 4), "b.jpg": (2, 2, 4, 4)})
    new_source = _coco(
        tmp / "new", {"b.jpg": (5, 5, 9, 9), "c.jpg": (3, 3, 3, 3), "d.jpg": (1, 2, 3, 4)}
    )
    old = tmp / "old-out"
    convert(old_source, old, TARGETS, report_path=old / "report.json")
    (old / "notes.txt").write_text("the user's own file")
    out = tmp / "out"
    shutil.copytree(old, out, symlinks=True)
    _run(new_source, out)
    scene = {
        "tmp": tmp,
        "old": old,
        "new_source": new_source,
        "out": out,
        "before": _snapshot(old),
        "after": _snapshot(out),
    }
    assert scene["before"] != scene["after"]
    assert scene["after"]["notes.txt"] == b"the user's own file"
    return scene


def _run(source: Path, out: Path) -> None:
    convert(source, out, TARGETS, overwrite=True, report_path=out / "report.json")


def _reset(scene: dict) -> Path:
    out = scene["out"]
    shutil.rmtree(out)
    shutil.copytree(scene["old"], out, symlinks=True)
    return out


def _reopen(out: Path) -> None:
    """What the next conversion does first: open the folders, letting recovery run."""
    for folder in (out, *(out / target for target in TARGETS)):
        OutputDir(folder)


def _child(scene: dict, setup) -> int:
    """Fork a process that converts `new_source` over the output; returns its pid."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            setup()
            _run(scene["new_source"], scene["out"])
        except BaseException:
            code = 1
        os._exit(code)
    return pid


def _kill_and_check(scene: dict, pid: int, delay: float | None) -> str:
    if delay is not None:
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert not (os.WIFEXITED(status) and os.WEXITSTATUS(status) != 0), "conversion failed"
    out = scene["out"]
    _reopen(out)
    now = _snapshot(out)
    if now == scene["before"]:
        return "old"
    if now == scene["after"]:
        return "new"
    raise AssertionError(_difference(now, scene["before"], scene["after"]))


def _difference(now: dict, before: dict, after: dict) -> str:
    def diff(other: dict) -> list[str]:
        return sorted(k for k in now.keys() | other.keys() if now.get(k) != other.get(k))

    return f"a mix: differs from the old set at {diff(before)}, from the new at {diff(after)}"


def _count_steps(scene: dict) -> list[str]:
    steps: list[str] = []
    _reset(scene)
    commit.step_hook = steps.append
    try:
        _run(scene["new_source"], scene["out"])
    finally:
        commit.step_hook = None
    return steps


def test_kill_9_at_every_step_and_at_random_instants_leaves_old_or_new(scene: dict) -> None:
    steps = _count_steps(scene)
    assert "commit point" in steps
    assert len(steps) >= 10, steps
    outcomes: list[str] = []

    # 1. At every instrumented step of the commit (before each rename and removal).
    for index in range(len(steps)):

        def die_at_step(index: int = index) -> None:
            seen = iter(range(len(steps) + 1))

            def hook(_name: str) -> None:
                if next(seen) == index:
                    os.kill(os.getpid(), signal.SIGKILL)

            commit.step_hook = hook

        _reset(scene)
        outcomes.append(_kill_and_check(scene, _child(scene, die_at_step), None))
    assert outcomes[0] == "old"
    assert outcomes[-1] == "new"

    # 2. At a random instant once the commit has begun (between the steps: inside the journal
    # write, a rename, a removal), from a timer in the child.
    rng = random.Random(13)
    for _ in range(25):
        after = rng.uniform(0, 0.004)

        def die_soon(after: float = after) -> None:
            started: list[bool] = []

            def hook(_name: str) -> None:
                if not started:
                    started.append(True)
                    threading.Timer(after, os.kill, (os.getpid(), signal.SIGKILL)).start()

            commit.step_hook = hook

        _reset(scene)
        outcomes.append(_kill_and_check(scene, _child(scene, die_soon), None))

    # 3. After a random delay over the whole run (reading, staging, committing), from outside.
    started = time.perf_counter()
    _reset(scene)
    _kill_and_check(scene, _child(scene, lambda: None), None)
    whole = time.perf_counter() - started
    for _ in range(25):
        _reset(scene)
        pid = _child(scene, lambda: None)
        outcomes.append(_kill_and_check(scene, pid, rng.uniform(0, whole)))

    assert len(outcomes) >= 50
    assert {"old", "new"} <= set(outcomes), outcomes


def test_a_force_commit_failing_at_any_rename_leaves_the_old_set_whole(
    scene: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    renames = []
    real_rename = os.rename
    out = _reset(scene)
    monkeypatch.setattr(os, "rename", lambda *a, **k: (renames.append(a), real_rename(*a, **k)))
    _run(scene["new_source"], out)
    total = len(renames)
    monkeypatch.setattr(os, "rename", real_rename)
    assert total >= 8

    for failing in range(1, total + 1):
        out = _reset(scene)
        calls = 0

        def rename(*args, failing: int = failing, **kwargs) -> None:
            nonlocal calls
            calls += 1
            if calls == failing:
                raise OSError(errno.ENOSPC, "No space left on device", str(args[0]))
            real_rename(*args, **kwargs)

        monkeypatch.setattr(os, "rename", rename)
        code = main(
            [
                "convert",
                str(scene["new_source"]),
                "--to",
                TARGETS[0],
                "--to",
                TARGETS[1],
                "-o",
                str(out),
                "--force",
                "--json-report",
                str(out / "report.json"),
            ]
        )
        monkeypatch.setattr(os, "rename", real_rename)
        err = capsys.readouterr().err
        assert code == 1
        assert "No space left on device" in err
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1, err
        # Only the last rename of the journal (".done" -> gone) is past the commit point.
        assert _snapshot(out) == scene["before"], f"rename {failing} of {total}"


def test_a_live_staging_is_never_taken_for_an_abandoned_one(tmp_path: Path) -> None:
    first = OutputDir(tmp_path)
    first.write_text("a.txt", "first")
    second = OutputDir(tmp_path)  # runs recovery: the first one's staging is locked, kept
    second.write_text("b.txt", "second")
    first.commit()
    second.commit()
    assert _snapshot(tmp_path) == {"a.txt": b"first", "b.txt": b"second"}


def test_a_staging_left_by_a_dead_process_is_removed_on_open(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    pid = os.fork()
    if pid == 0:
        output = OutputDir(tmp_path)
        output.write_text("half/written.txt", "x")
        os.kill(os.getpid(), signal.SIGKILL)
    os.waitpid(pid, 0)
    assert any(p.name.startswith(".labelview-") for p in tmp_path.iterdir())
    OutputDir(tmp_path)
    assert _snapshot(tmp_path) == {"keep.txt": b"mine"}


def test_a_planted_journal_cannot_touch_files_outside_the_output(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("mine")
    planted = {
        "version": 1,
        "roots": [{"root": "..", "staging": "../.labelview-x", "moves": ["victim.txt"]}],
    }
    (out / ".labelview-journal-evil.pending").write_text(json.dumps(planted))
    OutputDir(out)  # recovery runs, refuses to act on it
    assert victim.read_text() == "keep me"
    assert (out / "mine.txt").read_text() == "mine"


def test_a_planted_journal_inside_the_output_removes_nothing(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("mine")
    planted = {"roots": [{"root": ".", "staging": ".labelview-x", "moves": ["mine.txt"]}]}
    (tmp_path / ".labelview-journal-evil.pending").write_text(json.dumps(planted))
    OutputDir(tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "mine"
