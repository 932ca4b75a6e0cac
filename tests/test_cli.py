"""The command line, end to end: convert / info / formats, exit codes, bad input, output safety.

Inputs are small COCO (and VOC) exports written by the tests themselves. Contract checked here:
exit 0 = ok, 1 = errors (unreadable input; with --strict also any reading issue), 2 = usage.
Every failure is one located line on stderr, never a traceback.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labelview import cli, formats

PROJECT = Path(__file__).resolve().parents[1]

VALID = {
    "images": [
        {"id": 1, "file_name": "a.jpg", "width": 8, "height": 6},
        {"id": 2, "file_name": "sub/b.jpg", "width": 8, "height": 6},
    ],
    "annotations": [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 1,
            "bbox": [1, 1, 3, 2],
            "area": 6,
            "iscrowd": 0,
            "segmentation": [],
        },
        {
            "id": 2,
            "image_id": 2,
            "category_id": 2,
            "bbox": [0, 0, 4, 4],
            "area": 8,
            "iscrowd": 0,
            "segmentation": [[0, 0, 4, 0, 0, 4]],
        },
    ],
    "categories": [
        {"id": 1, "name": "car", "supercategory": "vehicle"},
        {"id": 2, "name": "person", "supercategory": ""},
    ],
}


def _needs(*names: str) -> None:
    missing = [name for name in names if name not in formats.FORMATS]
    if missing:
        pytest.skip(f"format(s) not registered yet: {', '.join(missing)}")


def _coco(folder: Path, doc: dict | None = None, name: str = "export.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(VALID if doc is None else doc))
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


# --- formats / info -------------------------------------------------------------------------------


def test_formats_lists_readers_and_writers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "formats")
    assert code == 0
    assert err == ""
    rows = {line.split()[0]: line.split()[1:3] for line in out.splitlines()[1:]}
    assert rows["cvat"] == ["yes", "yes"]
    assert rows["masks"] == ["-", "yes"]
    for name in ("coco", "yolo", "voc", "labelme"):
        if name in formats.FORMATS:
            assert rows[name] == ["yes", "yes"]


def test_info_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _needs("coco")
    code, out, _ = _run(capsys, "info", _coco(tmp_path), "--json")
    assert code == 0
    info = json.loads(out)
    assert info["format"] == "coco"
    assert info["items"] == 2
    assert info["objects"] == 2
    assert info["categories"] == {"car": 1, "person": 1}
    assert info["shapes"] == {"box": 1, "polygon": 1}
    assert info["verdicts"]["coco"][0] in ("LIKELY", "CERTAIN")


def test_info_why_prints_every_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _needs("coco")
    code, out, _ = _run(capsys, "info", _coco(tmp_path), "--why")
    assert code == 0
    verdict_lines = [line.split() for line in out.splitlines() if line.startswith("  ")]
    named = {parts[0] for parts in verdict_lines if parts}
    assert {fmt.name for fmt in formats.readers()} <= named
    assert "COCO" in out


def test_info_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "info", tmp_path / "nope.json")
    assert code == 1
    assert "nope.json: no such file or folder" in err
    assert out == ""


# --- convert: the happy paths ---------------------------------------------------------------------


def test_convert_to_coco(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _needs("coco")
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    code, stdout, err = _run(
        capsys,
        "convert",
        _coco(tmp_path / "in"),
        "--to",
        "coco",
        "-o",
        out,
        "--json-report",
        report,
    )
    assert code == 0, err
    doc = json.loads((out / "annotations.json").read_text())
    assert [image["file_name"] for image in doc["images"]] == ["a.jpg", "sub/b.jpg"]
    assert [category["name"] for category in doc["categories"]] == ["car", "person"]
    assert len(doc["annotations"]) == 2
    assert "2 items, 2 objects" in stdout
    saved = json.loads(report.read_text())
    assert saved["format"] == "coco"
    assert saved["targets"][0]["format"] == "coco"
    assert saved["targets"][0]["objects"] == 2


def test_convert_to_cvat_and_masks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _needs("coco")
    pytest.importorskip("labelview.ops.raster", reason="ops/raster.py not written yet")
    out = tmp_path / "out"
    source = _coco(tmp_path / "in")
    code, _, err = _run(capsys, "convert", source, "--to", "cvat", "--to", "masks", "-o", out)
    assert code == 0, err
    assert "<box" in (out / "cvat" / "annotations.xml").read_text()
    assert {"SegmentationClass/a.png", "SegmentationClass/sub/b.png", "classes.txt"} <= _files(
        out / "masks"
    )


def test_multi_target_writes_one_folder_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _needs("coco", "yolo")
    out = tmp_path / "out"
    code, _, err = _run(
        capsys, "convert", _coco(tmp_path / "in"), "--to", "coco", "--to", "yolo", "-o", out
    )
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["coco", "yolo"]
    assert (out / "coco" / "annotations.json").is_file()
    assert (out / "yolo" / "data.yaml").is_file()
    labels = sorted(p.name for p in (out / "yolo" / "labels").rglob("*.txt"))
    assert labels == ["a.txt", "b.txt"]


def test_no_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _needs("coco")
    out = tmp_path / "out"
    source = _coco(tmp_path / "in")
    assert _run(capsys, "convert", source, "--to", "coco", "-o", out)[0] == 0
    (out / "annotations.json").write_text("mine")
    code, _, err = _run(capsys, "convert", source, "--to", "coco", "-o", out)
    assert code == 1
    assert "exist" in err
    assert "--force" in err
    assert (out / "annotations.json").read_text() == "mine"
    assert _files(out) == {"annotations.json"}  # no staging folder left behind
    code, _, err = _run(capsys, "convert", source, "--to", "coco", "-o", out, "--force")
    assert code == 0, err
    assert json.loads((out / "annotations.json").read_text())["images"]


# --- convert: usage errors ------------------------------------------------------------------------


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as missing_to:
        cli.main(["convert", str(tmp_path / "x.json"), "-o", str(tmp_path / "out")])
    assert missing_to.value.code == 2
    capsys.readouterr()
    code, _, err = _run(
        capsys,
        "convert",
        tmp_path / "x.json",
        "--to",
        "cvat",
        "-o",
        tmp_path,
        "--option",
        "novalue",
    )
    assert code == 2
    assert "expected KEY=VALUE" in err


def test_unknown_target_and_bad_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _needs("coco")
    source = _coco(tmp_path / "in")
    code, _, err = _run(capsys, "convert", source, "--to", "nope", "-o", tmp_path / "o1")
    assert code == 1
    assert "unknown format 'nope'" in err
    code, _, err = _run(
        capsys, "convert", source, "--to", "cvat", "-o", tmp_path / "o2", "--option", "images=maybe"
    )
    assert code == 1
    assert "cvat options: images" in err
    assert not (tmp_path / "o1").exists()
    assert not (tmp_path / "o2").exists()


# --- convert: bad input ---------------------------------------------------------------------------


def _with_annotation(extra: dict) -> dict:
    doc = copy.deepcopy(VALID)
    doc["annotations"].append({"id": 3, "image_id": 1, "category_id": 1, "iscrowd": 0, **extra})
    return doc


BAD_OBJECTS = {
    "2-point polygon": {"segmentation": [[0, 0, 1, 1]], "bbox": [0, 0, 1, 1]},
    "RLE runs not summing to h*w": {
        "segmentation": {"size": [6, 8], "counts": [5, 3]},
        "bbox": [0, 0, 1, 1],
    },
    "wrong types": {"bbox": "wide", "segmentation": "round"},
    "unknown shape": {"segmentation": {"circle": [1, 2, 3]}},
}


@pytest.mark.parametrize("case", list(BAD_OBJECTS))
def test_bad_object_is_located_and_the_rest_converts(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _needs("coco")
    source = _coco(tmp_path / "in", _with_annotation(BAD_OBJECTS[case]))
    out = tmp_path / "out"
    code, _, err = _run(capsys, "convert", source, "--to", "coco", "-o", out, "--strict")
    assert code == 1, f"{case}: --strict must fail when input was skipped"
    assert "Traceback" not in err
    assert "export.json: annotations[2]" in err, err
    doc = json.loads((out / "annotations.json").read_text())
    assert len(doc["images"]) == 2  # the valid items still convert
    assert {a["bbox"][2] for a in doc["annotations"]} >= {3, 4}
    # Without --strict a skipped object is a warning: the conversion succeeds.
    code, _, err = _run(capsys, "convert", source, "--to", "coco", "-o", tmp_path / "lenient")
    assert code == 0
    assert err.startswith("warning: export.json: annotations[2]: ")


@pytest.mark.parametrize(
    ("case", "text", "expected"),
    [
        ("truncated JSON", json.dumps(VALID)[:-25], "invalid JSON"),
        ("not JSON at all", "\x00\x01garbage", ""),
        (
            "wrong top-level types",
            json.dumps({"images": "oops", "annotations": [], "categories": []}),
            "images",
        ),
    ],
)
def test_unreadable_input_fails_cleanly(
    case: str, text: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _needs("coco")
    source = tmp_path / "export.json"
    source.write_text(text)
    out = tmp_path / "out"
    code, stdout, err = _run(capsys, "convert", source, "--from", "coco", "--to", "cvat", "-o", out)
    assert code == 1, case
    assert err.startswith("error: export.json: "), err
    assert expected in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()
    assert stdout == ""


def test_truncated_json_names_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _needs("coco")
    source = tmp_path / "export.json"
    source.write_text(json.dumps(VALID, indent=1)[:-40])
    code, _, err = _run(
        capsys, "convert", source, "--from", "coco", "--to", "cvat", "-o", tmp_path / "o"
    )
    assert code == 1
    assert "line " in err
    assert "column " in err


XML_BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<annotation><filename>a.jpg</filename><size><width>8</width><height>6</height></size>
<object><name>&lol9;</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax><ymax>3</ymax>
</bndbox></object></annotation>
"""

VOC_OK = """<annotation><filename>b.jpg</filename><size><width>8</width><height>6</height>
<depth>3</depth></size><object><name>car</name><bndbox><xmin>1</xmin><ymin>1</ymin>
<xmax>3</xmax><ymax>3</ymax></bndbox></object></annotation>
"""


def test_xml_bomb_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _needs("voc", "coco")
    folder = tmp_path / "voc"
    folder.mkdir()
    (folder / "a.xml").write_text(XML_BOMB)
    (folder / "b.xml").write_text(VOC_OK)
    out = tmp_path / "out"
    code, _, err = _run(
        capsys, "convert", folder, "--from", "voc", "--to", "coco", "-o", out, "--strict"
    )
    assert code == 1
    assert "a.xml" in err
    assert "Traceback" not in err
    assert "lollol" not in err
    doc = json.loads((out / "annotations.json").read_text())
    assert [image["file_name"] for image in doc["images"]] == ["b.jpg"]


# --- output safety --------------------------------------------------------------------------------


EVIL = {
    "images": [
        {"id": 1, "file_name": "../../evil.jpg", "width": 8, "height": 6},
        {"id": 2, "file_name": "/tmp/abs.jpg", "width": 8, "height": 6},
        {"id": 3, "file_name": "good.jpg", "width": 8, "height": 6},
    ],
    "annotations": [
        {"id": i, "image_id": i, "category_id": 1, "bbox": [1, 1, 2, 2], "area": 4, "iscrowd": 0}
        for i in (1, 2, 3)
    ],
    "categories": [{"id": 1, "name": "car"}],
}


@pytest.mark.parametrize("target", ["coco", "yolo", "cvat", "masks", "voc", "labelme"])
def test_unsafe_file_names_never_write_outside_out(
    target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _needs("coco", target)
    if target == "masks":
        pytest.importorskip("labelview.ops.raster", reason="ops/raster.py not written yet")
    work = tmp_path / "a" / "b"
    source = _coco(work / "in", EVIL)
    for name in ("evil.jpg", "good.jpg", "abs.jpg"):
        (work / "in" / name).write_bytes(b"\xff\xd8fake jpeg")
    out = work / "out"
    before = _files(tmp_path)
    code, _, err = _run(
        capsys, "convert", source, "--to", target, "-o", out, "--option", "images=copy"
    )
    assert "Traceback" not in err
    created = _files(tmp_path) - before
    assert all(path.startswith("a/b/out/") for path in created), created
    assert code == 0, f"{target} should sanitise unsafe names and convert the rest: {err}"
    assert any("good" in path for path in created)


def test_several_inputs_write_one_folder_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _needs("coco")
    first = _coco(tmp_path / "in", name="first.json")
    second = _coco(tmp_path / "in", name="second.json")
    out = tmp_path / "out"
    code, _, err = _run(capsys, "convert", first, second, "--to", "cvat", "-o", out)
    assert code == 0, err
    assert _files(out) == {"first/annotations.xml", "second/annotations.xml"}


def test_ctrl_c_exits_130_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(_args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "formats", interrupted)
    code, _, err = _run(capsys, "formats")
    assert code == 130
    assert err.strip() == "cancelled"


# --- a real process -------------------------------------------------------------------------------


def _subprocess(*argv: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return subprocess.run(
        [sys.executable, "-m", "labelview", *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_python_m_labelview_convert(tmp_path: Path) -> None:
    _needs("coco")
    source = _coco(tmp_path / "in")
    result = _subprocess("convert", source, "--to", "coco", "-o", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "annotations.json").is_file()
    broken = tmp_path / "broken.json"
    broken.write_text('{"images": [')
    result = _subprocess("convert", broken, "--from", "coco", "--to", "coco", "-o", tmp_path / "o2")
    assert result.returncode == 1
    assert result.stderr.startswith("error: broken.json: ")
    assert "Traceback" not in result.stderr


def test_a_closed_pipe_ends_quietly(tmp_path) -> None:
    import subprocess
    import sys

    # `formats` prints several lines; the reader closes after the first one.
    command = f"'{sys.executable}' -m labelview formats | head -1"
    result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
    assert result.stdout.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_a_report_that_cannot_be_written_is_one_line_not_a_traceback(tmp_path, capsys) -> None:
    from labelview.cli import main

    source = Path(__file__).parent / "data" / "coco" / "instances.json"
    (tmp_path / "a-file").write_text("")  # its "folder" cannot be made: an OSError
    report = tmp_path / "a-file" / "report.json"
    code = main(
        [
            "convert",
            str(source),
            "--to",
            "coco",
            "-o",
            str(tmp_path / "out"),
            "--json-report",
            str(report),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    assert "report not written" in err
    assert (tmp_path / "out" / "annotations.json").is_file()
