"""A YOLO data.yaml cannot send the reader outside the dataset folder: `path: /` walked and decoded
the whole file system. Its `path` and split folders are read inside the dataset folder unless the
user passes the root explicitly (`--read-option root=FOLDER`).
"""

from __future__ import annotations

from pathlib import Path

from labelview import formats
from labelview.cli import main
from tests.formats.hostile import png_full, read_bounded


def _dataset(folder: Path, yaml: str) -> Path:
    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir()
    (folder / "images" / "a.png").write_bytes(png_full(40, 30))
    (folder / "labels" / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (folder / "data.yaml").write_text(yaml)
    return folder


def test_path_slash_is_ignored_with_a_warning_and_nothing_outside_is_walked(
    tmp_path: Path,
) -> None:
    folder = _dataset(tmp_path / "set", "path: /\ntrain: images\nnames: [cat]\n")
    summary = read_bounded(folder, "yolo", timeout=30)  # walking / would take minutes
    assert summary["items"] == 1
    assert summary["objects"] == 1
    warning = [issue for issue in summary["issues"] if "path '/'" in issue]
    assert warning, summary["issues"]
    assert warning[0].startswith("data.yaml: path: ")
    assert "--read-option root=/" in warning[0]


def test_a_split_outside_the_dataset_folder_is_not_read(tmp_path: Path) -> None:
    other = _dataset(tmp_path / "other", "names: [cat]\n")
    folder = _dataset(tmp_path / "set", f"train: images\nval: {other / 'images'}\nnames: [cat]\n")
    dataset = formats.read(folder, format="yolo")
    assert [item.name for item in dataset.items] == ["images/a.png"]
    assert dataset.items[0].image_path.parent == folder / "images"
    assert any(
        issue.where == "val" and "outside the dataset folder" in issue.message
        for issue in dataset.issues
    )


def test_a_root_passed_explicitly_is_used(tmp_path: Path, capsys) -> None:
    elsewhere = _dataset(tmp_path / "elsewhere", "names: [cat]\n")
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "data.yaml").write_text(f"path: {elsewhere}\ntrain: images\nnames: [cat]\n")
    dataset = formats.read(folder, format="yolo", options={"root": str(elsewhere)})
    assert len(dataset.items) == 1
    assert dataset.items[0].image_path == elsewhere / "images" / "a.png"
    assert not [issue for issue in dataset.issues if "outside" in issue.message]
    assert main(["info", str(folder), "--from", "yolo", "--read-option", f"root={elsewhere}"]) == 0
    assert "items: 1 " in capsys.readouterr().out


def test_path_inside_the_dataset_folder_is_honoured(tmp_path: Path) -> None:
    inner = _dataset(tmp_path / "set" / "data", "names: [cat]\n")
    (inner / "data.yaml").unlink()
    (tmp_path / "set" / "data.yaml").write_text("path: data\ntrain: images\nnames: [cat]\n")
    dataset = formats.read(tmp_path / "set", format="yolo")
    assert len(dataset.items) == 1
    assert not dataset.issues
