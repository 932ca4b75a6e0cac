"""convert(): targets, all-or-nothing output, cancel, selection, options, reports."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from labelview import formats
from labelview.convert import ConversionReport, convert, select, write_report, writer_options
from labelview.errors import Cancelled, LabelviewError, OutputError
from labelview.formats.base import TaskControl
from labelview.model import Answer, Box, Dataset, Item, ObjectLabel, Point


def _dataset(items: int = 3) -> Dataset:
    dataset = Dataset()
    dataset.category("car")
    dataset.category("person")
    for index in range(items):
        dataset.items.append(
            Item(
                id=str(index),
                name=f"img{index}.jpg",
                width=8,
                height=6,
                status="accepted" if index % 2 == 0 else "rejected",
                objects=[
                    ObjectLabel("car", Box(1, 1, 2, 2), attributes=[Answer("colour", "red")]),
                    ObjectLabel("person", Point(3, 3)),
                ],
            )
        )
    return dataset


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_one_target_writes_into_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = convert(tmp_path / "src.json", out, "cvat", dataset=_dataset())
    assert _files(out) == {"annotations.xml"}
    assert report.items == 3
    assert report.objects == 6
    assert report.targets[0].files == [out / "annotations.xml"]
    assert report.targets[0].out == out
    assert report.targets[0].objects == 6


def test_several_targets_write_one_folder_each(tmp_path: Path) -> None:
    pytest.importorskip("labelview.ops.raster", reason="ops/raster.py not written yet")
    out = tmp_path / "out"
    report = convert(tmp_path / "src.json", out, ["cvat", "masks"], dataset=_dataset(1))
    assert sorted(p.name for p in out.iterdir()) == ["cvat", "masks"]
    assert "annotations.xml" in _files(out / "cvat")
    assert "SegmentationClass/img0.png" in _files(out / "masks")
    assert [t.format for t in report.targets] == ["cvat", "masks"]
    masks = report.targets[1].dropped
    assert masks["point shapes (PNG masks (semantic + instance) has no equivalent)"] == 1


def test_a_failing_target_leaves_no_output_at_all(tmp_path: Path) -> None:
    pytest.importorskip("labelview.ops.raster", reason="ops/raster.py not written yet")
    out = tmp_path / "out"
    (out / "masks").mkdir(parents=True)
    (out / "masks" / "classes.txt").write_text("mine")
    with pytest.raises(OutputError, match="--force"):
        convert(tmp_path / "src.json", out, ["cvat", "masks"], dataset=_dataset())
    # cvat was written first, but nothing is committed unless every target succeeds.
    assert _files(out) == {"masks/classes.txt"}
    assert (out / "masks" / "classes.txt").read_text() == "mine"


def test_cancel_before_writing_leaves_no_folder(tmp_path: Path) -> None:
    event = threading.Event()
    event.set()
    out = tmp_path / "out"
    with pytest.raises(Cancelled):
        convert(
            tmp_path / "src.json",
            out,
            "cvat",
            dataset=_dataset(),
            control=TaskControl(cancel_event=event),
        )
    assert not out.exists()


def test_cancel_during_writing_leaves_no_files(tmp_path: Path) -> None:
    pytest.importorskip("labelview.ops.raster", reason="ops/raster.py not written yet")
    event = threading.Event()
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")

    def progress(done: int, total: int) -> None:
        if done >= 1:  # after the masks writer has staged its first PNGs
            event.set()

    control = TaskControl(on_progress=progress, cancel_event=event)
    with pytest.raises(Cancelled):
        convert(tmp_path / "src.json", out, "masks", dataset=_dataset(60), control=control)
    assert _files(out) == {"keep.txt"}


def test_cancel_while_reading(tmp_path: Path) -> None:
    if "coco" not in formats.FORMATS:
        pytest.skip("coco not registered yet")
    source = tmp_path / "export.json"
    source.write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 4}],
                "annotations": [],
                "categories": [{"id": 1, "name": "car"}],
            }
        )
    )
    event = threading.Event()
    event.set()
    with pytest.raises(Cancelled):
        convert(source, tmp_path / "out", "cvat", control=TaskControl(cancel_event=event))
    assert not (tmp_path / "out").exists()


def test_stages_are_announced(tmp_path: Path) -> None:
    stages: list[str] = []
    convert(
        tmp_path / "src.json",
        tmp_path / "out",
        "cvat",
        dataset=_dataset(),
        control=TaskControl(on_stage=stages.append),
    )
    assert stages == ["Writing CVAT XML 1.1"]


def test_select_renames_excludes_and_filters_without_mutating() -> None:
    dataset = _dataset()
    chosen = select(
        dataset,
        item_filter=lambda item: item.status == "accepted",
        rename={"car": "vehicle"},
        exclude=["person"],
    )
    assert [item.id for item in chosen.items] == ["0", "2"]
    assert list(chosen.categories) == ["vehicle"]
    assert [obj.category for obj in chosen.items[0].objects] == ["vehicle"]
    # The source dataset is untouched.
    assert list(dataset.categories) == ["car", "person"]
    assert [obj.category for obj in dataset.items[0].objects] == ["car", "person"]
    assert select(dataset) is dataset


def test_rename_merges_two_categories(tmp_path: Path) -> None:
    dataset = _dataset(1)
    chosen = select(dataset, rename={"car": "thing", "person": "thing"})
    assert list(chosen.categories) == ["thing"]
    assert {obj.category for obj in chosen.items[0].objects} == {"thing"}


def test_writer_options_are_validated() -> None:
    options = writer_options("masks", {"which": "semantic"})
    assert options.which == "semantic"
    assert writer_options("masks", options) is options
    with pytest.raises(LabelviewError, match="masks options: which"):
        writer_options("masks", {"which": "everything"})
    with pytest.raises(LabelviewError, match="masks options: colour"):
        writer_options("masks", {"colour": True})
    with pytest.raises(LabelviewError, match="unknown format"):
        writer_options("nope", {})


def test_options_reach_the_writer(tmp_path: Path) -> None:
    pytest.importorskip("labelview.ops.raster", reason="ops/raster.py not written yet")
    out = tmp_path / "out"
    convert(
        tmp_path / "src.json",
        out,
        "masks",
        dataset=_dataset(1),
        options={"masks": {"which": "instance"}},
    )
    assert "SegmentationObject/img0.png" in _files(out)
    assert not any(name.startswith("SegmentationClass") for name in _files(out))


def test_report_summary_and_json(tmp_path: Path) -> None:
    dataset = _dataset(1)
    dataset.items[0].objects[0].confidence = 0.5
    report = convert(tmp_path / "src.json", tmp_path / "out", "cvat", dataset=dataset)
    assert isinstance(report, ConversionReport)
    summary = report.summary()
    assert "cvat: 1 items, 2 objects written" in summary
    assert "dropped 1: CVAT XML 1.1 cannot hold confidence scores" in summary
    path = tmp_path / "reports" / "r.json"
    write_report(report, path)
    saved = json.loads(path.read_text())
    assert saved["targets"][0]["dropped"] == {
        "CVAT XML 1.1 cannot hold confidence scores": 1,
        "CVAT XML 1.1 cannot hold item statuses": 1,
        "images not found on disk (not placed beside the labels)": 1,
    }
    assert saved["targets"][0]["files"] == 1
    assert saved["items"] == 1


def test_no_target_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LabelviewError, match="no target"):
        convert(tmp_path / "src.json", tmp_path / "out", [], dataset=_dataset())


def test_cancel_with_several_targets_leaves_no_folder(tmp_path: Path) -> None:
    pytest.importorskip("labelview.ops.raster", reason="ops/raster.py not written yet")
    event = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == total:  # the first target finished: cancel before the second commits
            event.set()

    out = tmp_path / "out"
    with pytest.raises(Cancelled):
        convert(
            tmp_path / "src.json",
            out,
            ["cvat", "masks"],
            dataset=_dataset(),
            control=TaskControl(on_progress=progress, cancel_event=event),
        )
    assert not out.exists()


def test_a_target_named_twice_is_written_once(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = convert(tmp_path / "src.json", out, ["cvat", "cvat"], dataset=_dataset())
    assert len(report.targets) == 1
    assert _files(out) == {"annotations.xml"}


def test_a_report_inside_the_output_is_committed_with_it_and_says_what_verify_found(
    tmp_path: Path,
) -> None:
    from labelview.convert import convert as run

    source = Path(__file__).parent / "data" / "coco" / "instances.json"
    out = tmp_path / "out"
    report = run(source, out, ["coco", "yolo"], verify=True, report_path=out / "report.json")
    assert report.report_file == out / "report.json"
    saved = json.loads((out / "report.json").read_text())
    assert [target["verified"] for target in saved["targets"]] == [True, True]
    # Only our files: no journal, staging or temp file left behind.
    assert sorted(p.name for p in out.iterdir()) == ["coco", "report.json", "yolo"]
    for folder in ("coco", "yolo"):
        assert not any(p.name.startswith(".labelview-") for p in (out / folder).rglob("*"))
