"""Output safety: names never escape the folder, no overwrite unless asked, all-or-nothing."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from labelview.errors import OutputError
from labelview.formats.base import WriteReport
from labelview.output import OutputDir, UniqueStems, atomic_write, safe_relative, sanitised


@pytest.mark.parametrize(
    "name",
    ["../x", "/abs", "C:\\x", "c:x", "a\\..\\..\\b", "a/../../b", "", "/", "..", "a/\x00b", "./.."],
)
def test_safe_relative_refuses_escapes(name: str) -> None:
    with pytest.raises(OutputError, match="unsafe output name"):
        safe_relative(name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("a/b.txt", "a/b.txt"), ("a\\b.txt", "a/b.txt"), ("./a//b", "a/b"), ("x..y", "x..y")],
)
def test_safe_relative_accepts_relative_names(name: str, expected: str) -> None:
    assert safe_relative(name).as_posix() == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../evil.jpg", "evil.jpg"),
        ("/etc/passwd", "etc/passwd"),
        ("C:\\data\\a.png", "data/a.png"),
        ("a\\..\\..\\b", "a/b"),
        ("ok/x.jpg", "ok/x.jpg"),
        ("..", None),
        ("", None),
    ],
)
def test_sanitised(name: str, expected: str | None) -> None:
    result = sanitised(name)
    assert (result.as_posix() if result is not None else None) == expected


def test_writes_are_staged_until_commit(tmp_path: Path) -> None:
    root = tmp_path / "out"
    out = OutputDir(root)
    final = out.write_text("sub/a.txt", "hello")
    assert final == root / "sub" / "a.txt"
    assert not final.exists()  # staged, not yet in place
    staged, final_b = out.staged_path("b.bin")
    staged.write_bytes(b"\x00")
    assert out.commit() == [final, final_b]
    assert final.read_text() == "hello"
    assert final_b.read_bytes() == b"\x00"
    assert sorted(p.name for p in root.iterdir()) == ["b.bin", "sub"]
    assert not any(p.name.startswith(".labelview-") for p in root.iterdir())


def test_discard_leaves_nothing_and_removes_a_created_root(tmp_path: Path) -> None:
    root = tmp_path / "new"
    out = OutputDir(root)
    out.write_text("a.txt", "x")
    assert root.exists()
    out.discard()
    assert not root.exists()


def test_discard_keeps_a_folder_that_existed(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    out = OutputDir(tmp_path)
    out.write_text("a.txt", "x")
    out.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_no_overwrite_without_force(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old")
    with pytest.raises(OutputError, match="--force"):
        OutputDir(tmp_path).write_text("a.txt", "new")
    with pytest.raises(OutputError, match="exist"):
        OutputDir(tmp_path).check_free(["a.txt", "b.txt"])
    forced = OutputDir(tmp_path, overwrite=True)
    forced.check_free(["a.txt"])
    forced.write_text("a.txt", "new")
    forced.commit()
    assert (tmp_path / "a.txt").read_text() == "new"


def test_unsafe_names_and_duplicates_are_refused(tmp_path: Path) -> None:
    out = OutputDir(tmp_path / "out")
    with pytest.raises(OutputError):
        out.write_text("../evil.txt", "x")
    with pytest.raises(OutputError):
        out.copy_file(tmp_path, "/etc/evil")
    out.write_text("a.txt", "1")
    with pytest.raises(OutputError, match="twice"):
        out.write_text("a.txt", "2")
    out.commit()
    assert not (tmp_path / "evil.txt").exists()
    assert (tmp_path / "out" / "a.txt").read_text() == "1"


def test_copy_and_link(tmp_path: Path) -> None:
    source = tmp_path / "src.jpg"
    source.write_bytes(b"img")
    out = OutputDir(tmp_path / "out")
    out.copy_file(source, "images/a.jpg")
    out.copy_file(source, "images/b.jpg", link=True)
    out.commit()
    assert (tmp_path / "out/images/a.jpg").read_bytes() == b"img"
    assert (tmp_path / "out/images/b.jpg").read_bytes() == b"img"


def test_atomic_write(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "report.json"
    atomic_write(target, b"{}")
    atomic_write(target, b"[1]")
    assert target.read_bytes() == b"[1]"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_has_tells_what_was_written(tmp_path: Path) -> None:
    out = OutputDir(tmp_path)
    out.write_text("images/a.jpg", "x")
    assert out.has("images/a.jpg")
    assert out.has("images\\a.jpg")
    assert not out.has("images/b.jpg")
    out.discard()


def test_is_safe() -> None:
    from labelview.output import is_safe

    assert is_safe("a/b.png")
    assert not is_safe("../b.png")
    assert not is_safe("C:\\b.png")


def test_unique_stems_are_safe_and_case_insensitively_unique() -> None:
    report = WriteReport(format="test")
    stems = UniqueStems()
    made = [
        stems.make(raw, report)
        for raw in ("imgs/a.jpg", "imgs/A.png", "../../b.jpg", "http://h/x/c.jpg?s=1", "", "/")
    ]
    assert made == ["imgs/a", "imgs/A_2", "b", "x/c", "item", "item_2"]
    # '../../b.jpg', '' and '/' changed; the URL's path is its name (not unsafe).
    assert report.dropped == {"image names made safe (absolute or '..' parts removed)": 3}


def test_a_symlink_inside_the_output_folder_is_never_followed(tmp_path) -> None:
    import pytest

    from labelview.errors import OutputError
    from labelview.output import OutputDir

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "labels").symlink_to(elsewhere, target_is_directory=True)

    def write_through_the_link(overwrite: bool) -> None:
        output = OutputDir(out, overwrite=overwrite)
        try:
            output.write_text("labels/train/a.txt", "0 0.5 0.5 0.1 0.1\n")
            output.commit()
        finally:
            output.discard()

    for overwrite in (False, True):  # refused at staging, and at the commit
        with pytest.raises(OutputError, match="symbolic link"):
            write_through_the_link(overwrite)
    assert list(elsewhere.iterdir()) == []


# --- links inside the output folder ------------------------------------------------------------


def _coco_source(folder: Path, names: list[str]) -> Path:
    import json

    folder.mkdir(parents=True, exist_ok=True)
    doc = {
        "images": [
            {"id": i, "file_name": name, "width": 8, "height": 6} for i, name in enumerate(names, 1)
        ],
        "annotations": [
            {
                "id": i,
                "image_id": i,
                "category_id": 1,
                "bbox": [1, 1, 2, 2],
                "area": 4,
                "iscrowd": 0,
            }
            for i in range(1, len(names) + 1)
        ],
        "categories": [{"id": 1, "name": "car"}],
    }
    path = folder / "export.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("force", [False, True])
def test_convert_never_writes_through_a_linked_folder_in_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], force: bool
) -> None:
    from labelview.cli import main

    source = _coco_source(tmp_path / "in", ["a.jpg"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "labels").symlink_to(elsewhere, target_is_directory=True)
    argv = ["convert", str(source), "--to", "yolo", "-o", str(out)] + (["--force"] if force else [])
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1
    assert "symbolic link" in err
    assert "Traceback" not in err
    assert list(elsewhere.iterdir()) == []
    assert sorted(p.name for p in out.iterdir()) == ["labels"]  # nothing else was committed


def test_a_linked_file_is_replaced_never_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / "data.yaml").symlink_to(victim)
    with pytest.raises(OutputError, match="--force"):
        OutputDir(out).write_text("data.yaml", "names: {}\n")
    forced = OutputDir(out, overwrite=True)
    forced.write_text("data.yaml", "names: {}\n")
    forced.commit()
    assert victim.read_text() == "keep me"
    assert not (out / "data.yaml").is_symlink()
    assert (out / "data.yaml").read_text() == "names: {}\n"


def test_a_link_swapped_in_during_the_commit_is_not_followed(tmp_path: Path) -> None:
    from labelview import commit

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    (out / "labels" / "train").mkdir(parents=True)
    output = OutputDir(out, overwrite=True)
    output.write_text("labels/train/a.txt", "0 0.5 0.5 0.1 0.1\n")

    def swap(step: str) -> None:  # after planning, before the first rename
        if step.startswith("move") and not (out / "labels").is_symlink():
            (out / "labels").rename(tmp_path / "moved-away")
            (out / "labels").symlink_to(elsewhere, target_is_directory=True)

    commit.step_hook = swap
    try:
        with contextlib.suppress(OutputError):  # refused: also fine
            output.commit()
    finally:
        commit.step_hook = None
    assert list(elsewhere.iterdir()) == []


# --- names that cannot be files ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a\nb.jpg", "a_b.jpg"),
        ("tab\there.jpg", "tab_here.jpg"),
        ("x\ud800.jpg", "x_.jpg"),
        ("CON", "CON_"),
        ("nul.txt", "nul_.txt"),
        ("com1.jpg", "com1_.jpg"),
        ("Lpt9", "Lpt9_"),
        ("console.jpg", "console.jpg"),
        ("trailing.", "trailing_"),
        ("space ", "space_"),
        ("ok.jpg", "ok.jpg"),
    ],
)
def test_safe_component(name: str, expected: str) -> None:
    from labelview.output import safe_component

    assert safe_component(name) == expected


def test_long_names_are_cut_deterministically_and_stay_apart() -> None:
    from labelview.output import NAME_MAX, safe_component

    first, second = "é" * 200 + "1.jpg", "é" * 200 + "2.jpg"
    made = safe_component(first)
    assert made == safe_component(first)  # deterministic
    assert made != safe_component(second)  # a hash of the full name keeps them apart
    assert made.endswith(".jpg")
    assert len(made.encode("utf-8")) <= NAME_MAX - 50
    deep = sanitised("/".join(["folder" * 10] * 40) + "/x.jpg")
    assert deep is not None
    assert len(deep.as_posix().encode()) < 1000
    assert deep.name == "x.jpg"


def test_output_dir_refuses_names_that_cannot_be_files(tmp_path: Path) -> None:
    output = OutputDir(tmp_path)
    for bad in ("a\nb.txt", "x\ud800.txt", "a" * 300 + ".txt"):
        with pytest.raises(OutputError, match="unsafe output name"):
            output.write_text(bad, "x")
    output.discard()


UNSAFE_NAMES = ["a\nb.jpg", "CON.jpg", "x" * 300 + ".jpg", "dots... ", "x\ud800y.jpg", "ok.jpg"]


@pytest.mark.parametrize("target", ["yolo", "coco", "voc", "labelme", "cvat", "masks"])
def test_every_writer_makes_unsafe_names_safe_and_reports_each(tmp_path: Path, target: str) -> None:
    from labelview.convert import convert
    from labelview.model import Box, Dataset, Item, ObjectLabel

    items = []
    for index, name in enumerate(UNSAFE_NAMES):
        item = Item(id=str(index), name=name, width=40, height=20)
        item.objects = [ObjectLabel("car", Box(1.0, 1.0, 4.0, 2.0))]
        items.append(item)
    dataset = Dataset(items=items, source=tmp_path / "export.json")
    out = tmp_path / "out"
    report = convert(
        tmp_path / "export.json", out, target, dataset=dataset, report_path=out / "report.json"
    )
    written = report.targets[0]
    assert set(written.renamed) == set(UNSAFE_NAMES) - {"ok.jpg"}, written.renamed
    for path in out.rglob("*"):
        relative = path.relative_to(out).as_posix()
        assert all(len(part.encode()) <= 255 for part in relative.split("/"))
        assert not any(ch in relative for ch in "\n\r\t"), relative
    if target == "yolo":  # one line per image: no name split a line
        assert len((out / "train.txt").read_text().splitlines()) == len(UNSAFE_NAMES)
    saved = __import__("json").loads((out / "report.json").read_text())
    assert len(saved["targets"][0]["renamed"]) == len(UNSAFE_NAMES) - 1
