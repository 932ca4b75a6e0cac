"""The input toolkit against hostile inputs: FIFOs, device links, links out of the folder, zip and
gzip bombs, deep JSON, XML entity bombs in any encoding. Each is one located issue; the rest loads;
nothing hangs and memory stays bounded (readers run in a capped child, see hostile.py).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from labelview import limits
from labelview.errors import FormatError
from labelview.formats import _input, read
from labelview.formats.base import Probe, load_json
from tests.formats.hostile import gzip_bomb, read_bounded, zip_bomb_member

posix_only = pytest.mark.skipif(
    sys.platform == "win32" or not hasattr(os, "mkfifo"), reason="FIFOs and /dev/zero are POSIX"
)

VOC = (
    "<annotation><filename>{name}.jpg</filename><size><width>40</width><height>30</height>"
    "</size><object><name>cat</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>10</xmax>"
    "<ymax>12</ymax></bndbox></object></annotation>"
)


def _hostile_entries(folder: Path, suffix: str, outside: Path) -> None:
    """A FIFO, a link to /dev/zero and a link out of the folder, all named like inputs."""
    os.mkfifo(folder / f"pipe{suffix}")
    os.symlink("/dev/zero", folder / f"zero{suffix}")
    os.symlink(outside, folder / f"secret{suffix}")


def _outside(tmp_path: Path, name: str, content: str) -> Path:
    secret = tmp_path / "elsewhere" / name
    secret.parent.mkdir()
    secret.write_text(content)
    return secret


def _by_file(issues: list[str]) -> dict[str, str]:
    """Each issue by the file or member it names (`a.xml: …` or `json: a.json: …`)."""
    named = {}
    for issue in issues:
        for part in issue.split(": ")[:2]:
            named.setdefault(part, issue)
    return named


# --- only regular files inside the input ----------------------------------------------------------


@posix_only
def test_voc_folder_with_a_fifo_a_dev_zero_link_and_a_link_out(tmp_path: Path) -> None:
    folder = tmp_path / "voc" / "Annotations"
    folder.mkdir(parents=True)
    (folder / "good.xml").write_text(VOC.format(name="good"))
    _hostile_entries(folder, ".xml", _outside(tmp_path, "other.xml", VOC.format(name="other")))
    summary = read_bounded(tmp_path / "voc", "voc", timeout=30)
    assert summary["items"] == 1
    assert summary["objects"] == 1
    issues = _by_file(summary["issues"])
    assert "a FIFO (named pipe), not a regular file" in issues["pipe.xml"]
    assert "a link to a character device, not a regular file" in issues["zero.xml"]
    assert "a link to outside the input folder" in issues["secret.xml"]


@posix_only
def test_labelme_folder_with_a_fifo_and_a_dev_zero_link(tmp_path: Path, data: Path) -> None:
    folder = tmp_path / "labelme"
    folder.mkdir()
    shutil.copy(data / "labelme" / "sample.json", folder / "good.json")
    _hostile_entries(folder, ".json", _outside(tmp_path, "x.json", '{"shapes": []}'))
    summary = read_bounded(folder, "labelme", timeout=30)
    assert summary["items"] == 1
    assert summary["objects"] > 0
    issues = _by_file(summary["issues"])
    assert {"pipe.json", "zero.json", "secret.json"} <= set(issues)
    assert "not a regular file" in issues["pipe.json"]
    assert "not a regular file" in issues["zero.json"]


@posix_only
def test_dataloop_folder_with_a_fifo_and_a_dev_zero_link(tmp_path: Path, data: Path) -> None:
    folder = tmp_path / "json"
    folder.mkdir()
    shutil.copy(data / "dataloop" / "item_all_types.json", folder / "good.json")
    _hostile_entries(folder, ".json", _outside(tmp_path, "x.json", "{}"))
    summary = read_bounded(folder, "dataloop", timeout=30)
    assert summary["items"] == 1
    assert summary["objects"] > 0
    issues = _by_file(summary["issues"])
    assert "not a regular file" in issues["pipe.json"]
    assert "not a regular file" in issues["zero.json"]
    assert "outside the input folder" in issues["secret.json"]


@posix_only
def test_a_fifo_given_as_the_input_is_refused_not_waited_on(tmp_path: Path) -> None:
    pipe = tmp_path / "export.json"
    os.mkfifo(pipe)
    for fmt in ("coco", "labelme", "ango", "dataloop", "encord", "voc"):
        summary = read_bounded(pipe, fmt, timeout=30)
        assert "not a regular file" in summary["failed"], fmt


@posix_only
def test_detection_never_opens_a_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "a.xml")
    os.mkfifo(tmp_path / "b.json")
    probe = Probe.of(tmp_path)  # would block reading heads if it opened them
    assert probe.names == []


def test_walk_stops_at_its_limit_and_says_so(tmp_path: Path) -> None:
    for index in range(5):
        (tmp_path / f"{index}.json").write_text("{}")
    skipped: list[str] = []
    found = _input.walk(tmp_path, "*.json", lambda path, message: skipped.append(message), 3)
    assert len(found) == 3
    assert skipped
    assert "LABELVIEW_MAX_FILES_WALKED" in skipped[0]


def test_read_bytes_refuses_past_its_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 1000)
    with pytest.raises(limits.Refused, match="LABELVIEW_MAX_FILE_BYTES"):
        _input.read_bytes(big, limit=999)
    assert _input.read_bytes(big, limit=1000) == b" " * 1000


# --- archives and compressed streams --------------------------------------------------------------


def test_zip_bomb_member_of_an_ango_zip_is_skipped_and_the_rest_loads(
    tmp_path: Path, data: Path
) -> None:
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.write(data / "ango" / "v3_all_tools.json", "a_good.json")
        zip_bomb_member(archive, "b_bomb.json", 1 << 30)  # 1 GiB of spaces
    assert export.stat().st_size < 1_500_000  # a ~1 MB zip
    summary = read_bounded(export, "ango")
    assert summary["items"] >= 1
    assert summary["objects"] > 0
    bomb = [issue for issue in summary["issues"] if "b_bomb.json" in issue]
    assert bomb, summary["issues"]
    assert "compression bomb" in bomb[0]
    assert summary["peak_kb"] < 200_000  # refused from its declared size, never expanded


def test_zip_member_claiming_too_much_is_refused_before_it_is_read(tmp_path: Path) -> None:
    # zipfile never yields more than a member's declared size, so the declared size is the one
    # to check; it is checked before a byte is expanded.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        zip_bomb_member(archive, "a.json", 80 << 20)
        archive.writestr("b.json", b"{}")
    with zipfile.ZipFile(buffer) as archive:
        with pytest.raises(limits.Refused, match="LABELVIEW_MAX_RATIO"):
            _input.read_member(archive, "a.json")
        with pytest.raises(limits.Refused, match="LABELVIEW_MAX_RATIO"):
            _input.open_member(archive, "a.json")
        assert _input.read_member(archive, "b.json") == b"{}"


def test_gzip_stream_is_refused_while_it_expands() -> None:
    with pytest.raises(limits.Refused, match="LABELVIEW_MAX_RATIO"):
        _input.gunzip(gzip_bomb(256 << 20))
    assert _input.gunzip(_gzip(b"[1]") + _gzip(b"[2]")) == b"[1][2]"  # members concatenated


def test_gzip_bomb_partition_is_skipped_and_the_rest_loads(tmp_path: Path, data: Path) -> None:
    folder = tmp_path / "v3"
    folder.mkdir()
    item = json.loads((data / "dataloop" / "item_all_types.json").read_text())
    (folder / "part-00000.ndjson.gz").write_bytes(_gzip(json.dumps(item).encode() + b"\n"))
    (folder / "part-00001.ndjson.gz").write_bytes(gzip_bomb(1 << 30))
    summary = read_bounded(folder, "dataloop")
    assert summary["items"] == 1
    assert summary["objects"] > 0
    bomb = _by_file(summary["issues"])["part-00001.ndjson.gz"]
    assert "gzip data expands to" in bomb
    assert "compression bomb" in bomb
    assert summary["peak_kb"] < 500_000  # at most the 200 MB the ratio allows, then refused


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data)


def test_expansion_limit_follows_the_limits() -> None:
    assert _input.expansion_limit(10) == limits.RATIO_FROM
    assert _input.expansion_limit(1 << 30) == min(limits.MAX_MEMBER_BYTES, limits.MAX_RATIO << 30)


# --- JSON depth -----------------------------------------------------------------------------------


def test_deep_json_is_a_located_error_not_a_recursion_error(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_bytes(b'{"images": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    with pytest.raises(FormatError) as raised:
        load_json(deep)
    assert raised.value.file == "deep.json"
    assert f"nested deeper than {limits.MAX_DEPTH} levels" in raised.value.message
    with pytest.raises(FormatError, match="nested deeper"):
        read(deep, format="coco")


def test_one_deep_file_of_a_labelme_folder_is_skipped(tmp_path: Path, data: Path) -> None:
    shutil.copy(data / "labelme" / "sample.json", tmp_path / "good.json")
    (tmp_path / "deep.json").write_bytes(b"[" * 5000 + b"]" * 5000)
    dataset = read(tmp_path, format="labelme")
    assert len(dataset.items) == 1
    assert any(
        issue.file == "deep.json" and "nested deeper" in issue.message for issue in dataset.issues
    )


# --- XML ------------------------------------------------------------------------------------------

LAUGHS = (
    '<?xml version="1.0" encoding="{encoding}"?>\n<!DOCTYPE annotation [\n'
    '<!ENTITY a "lollollollollollollollollollol">\n'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n' for i in range(9))
    + "]>\n<annotation><filename>&j;</filename></annotation>"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-be", "utf-32"])
def test_billion_laughs_refused_by_defusedxml_in_any_encoding(
    tmp_path: Path, encoding: str
) -> None:
    folder = tmp_path / "Annotations"
    folder.mkdir()
    (folder / "good.xml").write_text(VOC.format(name="good"))
    text = LAUGHS.format(encoding=encoding.upper())
    (folder / "laughs.xml").write_bytes(text.encode(encoding))
    dataset = read(tmp_path, format="voc")
    assert len(dataset.items) == 1
    laughs = [issue for issue in dataset.issues if issue.file == "laughs.xml"]
    assert laughs, dataset.issues
    assert "EntitiesForbidden" in laughs[0].message


def test_utf16_xml_with_a_doctype_is_read_safely(tmp_path: Path) -> None:
    document = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE annotation>\n' + VOC.format(
        name="wide"
    )
    path = tmp_path / "wide.xml"
    path.write_bytes(document.encode("utf-16"))
    dataset = read(path, format="voc")
    assert [item.name for item in dataset.items] == ["wide.jpg"]
    assert len(dataset.items[0].objects) == 1


def test_utf16_voc_files_of_a_folder_are_found(tmp_path: Path) -> None:
    (tmp_path / "wide.xml").write_bytes(
        ('<?xml version="1.0" encoding="UTF-16"?>' + VOC.format(name="wide")).encode("utf-16")
    )
    (tmp_path / "plain.xml").write_text(VOC.format(name="plain"))
    dataset = read(tmp_path, format="voc")
    assert sorted(item.name for item in dataset.items) == ["plain.jpg", "wide.jpg"]


def test_a_declared_single_byte_encoding_cannot_hide_a_dtd() -> None:
    # In EBCDIC the bytes of "<!ENTITY" are not ASCII: a byte search would miss them. Refused or
    # not well-formed, never expanded.
    body = LAUGHS.format(encoding="cp500").split("?>", 1)[1]
    raw = b'<?xml version="1.0" encoding="cp500"?>' + body.encode("cp500")
    with pytest.raises(_input.XML_ERRORS):
        _input.parse_xml(raw)
    latin = LAUGHS.format(encoding="latin-1").encode("latin-1")
    with pytest.raises(_input.XML_ERRORS) as raised:
        _input.parse_xml(latin)
    assert type(raised.value).__name__ == "EntitiesForbidden"
