"""Hostile inputs made at test time: FIFOs, links, archive and image bombs, broken bytes, huge
claims. Nothing here is stored in the repository (a bomb is a few lines of code, not a file).

Each `Hostile` builds its input into a folder and says what must load: `objects` when the rest of
the input is intact (a FIFO beside a good file must not cost that file's objects), None when only
the oracle applies (a located issue or rejection, never an escape, signal, hang or unbounded
memory).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.fuzz.corpus import DATA, SEED_NAMES, SEEDS

GIB = 1024**3


def png_bomb(width: int = 50_000, height: int = 50_000) -> bytes:
    """A ~270-byte PNG claiming width × height 8-bit grey pixels (2.5 GB decoded at 50000²)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4, 9)  # the first rows; the decoder wants more
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def _deflate_bomb(size: int) -> tuple[bytes, int]:
    """A raw deflate stream of `size` spaces and its CRC-32, built from one compressed MiB
    repeated (full flushes make each block independent), so a 1 GiB bomb takes a second."""
    block = 1024 * 1024
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = compressor.compress(b" " * block) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    piece = b" " * block
    for _ in range(size // block):
        crc = zlib.crc32(piece, crc)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    return one * (size // block) + end, crc


def zip_bomb(path: Path, members: dict[str, bytes], bomb_name: str, size: int = GIB) -> None:
    """A zip of `members` (deflated normally) and `bomb_name`, ~1 MB expanding to `size` bytes."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    data, crc = _deflate_bomb(size)
    # Append the bomb member by hand: zipfile cannot write an already-compressed stream.
    raw = path.read_bytes()
    end = raw.rindex(b"PK\x05\x06")
    entries, _central_size, central_at = struct.unpack("<HII", raw[end + 10 : end + 20])
    central, local = raw[central_at:end], raw[:central_at]
    name = bomb_name.encode()
    offset = len(local)
    local += (
        struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(name), 0)
        + name
        + data
    )
    central += (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0,
            crc,
            len(data),
            size,
            len(name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        + name
    )
    tail = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, entries + 1, entries + 1, len(central), len(local), 0
    )
    path.write_bytes(local + central + tail)


def gzip_bomb(path: Path, size: int = GIB) -> None:
    data, crc = _deflate_bomb(size)
    header = b"\x1f\x8b\x08\x00" + b"\x00" * 4 + b"\x00\xff"
    path.write_bytes(header + data + struct.pack("<II", crc, size & 0xFFFFFFFF))


@dataclass(frozen=True)
class Hostile:
    name: str
    format: str
    build: Callable[[Path], Path]  # lays the input out in a folder, returns what to read
    objects: int | None  # what must still load, None: only the oracle applies
    what: str  # one line for the findings list


def _seed(name: str, folder: Path) -> Path:
    return SEED_NAMES[name].build(folder)


def _fifo_beside(seed: str, member: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = _seed(seed, folder)
        os.mkfifo(folder / member)
        return path

    return build


def _link_beside(seed: str, member: str, target: str | Callable[[Path], Path]) -> Callable:
    def build(folder: Path) -> Path:
        path = _seed(seed, folder)
        link = folder / member
        pointed = target(folder) if callable(target) else Path(target) if target != "self" else link
        link.symlink_to(pointed)
        return path

    return build


def _outside_copy(folder: Path) -> Path:
    outside = folder.parent / f"{folder.name}-outside.xml"
    shutil.copyfile(DATA / "voc/Annotations/img1.xml", outside)
    return outside


def _special_input(name: str, make: Callable[[Path], None]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        make(path)
        return path

    return build


def _png_bombed(seed: str) -> Callable[[Path], Path]:
    """The seed with every PNG file and every embedded base64 PNG replaced by a bomb."""

    def build(folder: Path) -> Path:
        path = _seed(seed, folder)
        bomb = png_bomb()
        for png in folder.rglob("*.png"):
            png.write_bytes(bomb)
        encoded = base64.b64encode(bomb).decode()
        for name in SEED_NAMES[seed].mutable:
            target = folder / name
            if target.suffix == ".json" and target.exists():
                text = target.read_text()
                text = re.sub(
                    r'"data:image/png;base64,[^"]*"', f'"data:image/png;base64,{encoded}"', text
                )
                text = re.sub(r'"iVBORw0KGgo[^"]*"', f'"{encoded}"', text)
                target.write_text(text)
        return path

    return build


def _rle_claim(folder: Path) -> Path:
    path = _seed("coco", folder)
    doc = json.loads(path.read_text())
    doc["annotations"][0]["segmentation"] = {"size": [100_000, 100_000], "counts": "0"}
    path.write_text(json.dumps(doc))
    return path


def _yolo_root(folder: Path) -> Path:
    path = _seed("yolo", folder)
    (folder / "data.yaml").write_text("path: /\ntrain: .\nnames:\n  0: cat\n")
    return path


def _utf16_doctype(folder: Path) -> Path:
    path = _seed("voc", folder)
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    text = (DATA / "voc/Annotations/img1.xml").read_text()
    text = re.sub(r"^<\?xml[^>]*\?>\s*", "", text)
    text = text.replace("<folder>", "<folder>&l9;", 1)
    document = f'<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE annotation [{laughs}]>\n{text}'
    (folder / "Annotations/img1.xml").write_bytes(document.encode("utf-16"))
    return path


def _zip_bomb_ango(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    members = {"export/v3_all_tools.json": (DATA / "ango/v3_all_tools.json").read_bytes()}
    zip_bomb(folder / "export.zip", members, "export/bomb.json")
    return folder / "export.zip"


def _zip_bomb_dataloop(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    members = {"json/fruit.json": (DATA / "dataloop/item_all_types.json").read_bytes()}
    zip_bomb(folder / "export.zip", members, "json/bomb.json")
    return folder / "export.zip"


def _bytes_for(seed_name: str, data: bytes) -> Callable[[Path], Path]:
    """The seed with its (first) mutable file's bytes replaced by `data`."""

    def build(folder: Path) -> Path:
        seed = SEED_NAMES[seed_name]
        path = seed.build(folder)
        name = sorted(seed.mutable)[0]
        seed.place(folder, {name: data})
        return path

    return build


HOSTILE: list[Hostile] = [
    Hostile(
        "fifo-in-voc-folder",
        "voc",
        _fifo_beside("voc", "Annotations/pipe.xml"),
        3,
        "a FIFO named Annotations/pipe.xml beside img1.xml",
    ),
    Hostile(
        "fifo-as-input",
        "coco",
        _special_input("export.json", os.mkfifo),
        None,
        "the input itself is a FIFO named export.json",
    ),
    Hostile(
        "dev-zero-link-in-voc-folder",
        "voc",
        _link_beside("voc", "Annotations/zero.xml", "/dev/zero"),
        3,
        "Annotations/zero.xml is a symlink to /dev/zero",
    ),
    Hostile(
        "dev-zero-link-as-input",
        "coco",
        _special_input("export.json", lambda p: p.symlink_to("/dev/zero")),
        None,
        "the input export.json is a symlink to /dev/zero",
    ),
    Hostile(
        "link-out-of-tree-in-voc-folder",
        "voc",
        _link_beside("voc", "Annotations/outside.xml", _outside_copy),
        3,
        "Annotations/outside.xml links to an annotation outside the input folder",
    ),
    Hostile(
        "link-loop-in-voc-folder",
        "voc",
        _link_beside("voc", "Annotations/loop.xml", "self"),
        3,
        "Annotations/loop.xml is a symlink to itself",
    ),
    Hostile(
        "zip-bomb-ango",
        "ango",
        _zip_bomb_ango,
        19,
        "a 1 MB zip whose export/bomb.json expands to 1 GiB, beside a good member",
    ),
    Hostile(
        "zip-bomb-dataloop",
        "dataloop",
        _zip_bomb_dataloop,
        7,
        "a 1 MB zip whose json/bomb.json expands to 1 GiB, beside a good member",
    ),
    Hostile(
        "gzip-bomb-dataloop",
        "dataloop",
        _special_input("item.json.gz", lambda p: gzip_bomb(p)),
        None,
        "a 1 MB item.json.gz expanding to 1 GiB",
    ),
    Hostile(
        "png-bomb-yolo-image",
        "yolo",
        _png_bombed("yolo"),
        None,
        "the images are 270-byte PNGs claiming 50000×50000",
    ),
    Hostile(
        "png-bomb-voc-image",
        "voc",
        _png_bombed("voc"),
        None,
        "JPEGImages/img1.png is a PNG claiming 50000×50000",
    ),
    Hostile(
        "png-bomb-labelme-image-and-imagedata",
        "labelme",
        _png_bombed("labelme"),
        None,
        "sample.png and the embedded imageData claim 50000×50000",
    ),
    Hostile(
        "png-bomb-dataloop-mask",
        "dataloop",
        _png_bombed("dataloop"),
        None,
        "the base64 mask PNG claims 50000×50000",
    ),
    Hostile(
        "png-bomb-ango-brush",
        "ango",
        _png_bombed("ango"),
        None,
        "brush-street.png and small.png claim 50000×50000",
    ),
    Hostile(
        "coco-rle-claims-100000-squared",
        "coco",
        _rle_claim,
        None,
        "an RLE segmentation with size [100000, 100000]",
    ),
    Hostile("yolo-path-root", "yolo", _yolo_root, None, "data.yaml says path: /"),
    Hostile(
        "voc-utf16-doctype-laughs",
        "voc",
        _utf16_doctype,
        None,
        "img1.xml in UTF-16 with a DOCTYPE of nested entities (billion laughs)",
    ),
]

# Broken bytes in every seed's first mutable file: empty, a BOM alone, NULs, random bytes.
_BROKEN = {
    "empty": b"",
    "bom": b"\xef\xbb\xbf",
    "nul": b"\x00" * 4096,
    "noise": bytes((i * 7919 + 13) % 251 for i in range(8192)),
}
HOSTILE += [
    Hostile(
        f"{kind}-{seed.name}",
        seed.format,
        _bytes_for(seed.name, data),
        None,
        f"{sorted(seed.mutable)[0]} is {kind} bytes",
    )
    for seed in SEEDS
    for kind, data in _BROKEN.items()
]
HOSTILE_NAMES = {case.name: case for case in HOSTILE}
