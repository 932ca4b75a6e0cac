"""Output safety: names never escape the folder, no overwrite unless asked, all-or-nothing."""

from __future__ import annotations

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
