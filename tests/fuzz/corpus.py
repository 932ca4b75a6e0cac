"""The seed corpus: one small sample (or a few) per readable format, from tests/data, and how a
mutated input of each is laid out on disk for the worker.

A seed is a folder template (files copied from tests/data), the input the reader opens, and the
files the mutators may change (`mutable`: relative path → mutator kind). Archive seeds wrap the
mutated member in a zip or gzip at the input path, so archive readers see the same mutations.
"""

from __future__ import annotations

import gzip
import io
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelview import formats
from tests.fuzz.mutate import MUTATORS, Chooser, may_drop, pick

DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class Seed:
    name: str
    format: str
    files: tuple[tuple[str, str], ...]  # (source under tests/data, destination in the case)
    input: str  # what the reader opens, relative to the case folder ("." for the folder)
    mutable: dict[str, str]  # destination (or archive member) -> mutator kind
    archive: str = ""  # "zip" or "gzip": the mutable member is wrapped at `input`

    def build(self, folder: Path) -> Path:
        """Lay the seed out in `folder` (unmutated); the input's path."""
        folder.mkdir(parents=True, exist_ok=True)
        for source, dest in self.files:
            target = folder / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(DATA / source, target)
        if self.archive:
            self.place(folder, {name: self.original(name) for name in self.mutable})
        return folder / self.input

    def original(self, name: str) -> bytes:
        for source, dest in self.files:
            if dest == name:
                return (DATA / source).read_bytes()
        for source, dest in self.members:
            if dest == name:
                return (DATA / source).read_bytes()
        raise KeyError(name)

    @property
    def members(self) -> tuple[tuple[str, str], ...]:
        return _MEMBERS.get(self.name, ())

    def place(self, folder: Path, contents: dict[str, bytes]) -> None:
        """Write `contents` (mutable name -> bytes) into the case: as files, or into the archive."""
        if not self.archive:
            for name, data in contents.items():
                (folder / name).write_bytes(data)
            return
        target = folder / self.input
        if self.archive == "gzip":
            (data,) = contents.values()
            target.write_bytes(gzip.compress(data, compresslevel=1, mtime=0))
            return
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in contents.items():
                archive.writestr(name, data)
        target.write_bytes(buffer.getvalue())


def _dir(source: str, names: list[str]) -> tuple[tuple[str, str], ...]:
    return tuple((f"{source}/{name}", name) for name in names)


# Archive members (source under tests/data, member name) of the archive seeds.
_MEMBERS: dict[str, tuple[tuple[str, str], ...]] = {
    "ango-zip": (("ango/v3_all_tools.json", "export/v3_all_tools.json"),),
    "dataloop-zip": (("dataloop/item_all_types.json", "json/shelf/fruit.json"),),
    "dataloop-gz": (("dataloop/item_all_types.json", "item_all_types.json"),),
}

_YOLO = "yolo/detect_segment"
_POSE = "yolo/pose"

SEEDS: list[Seed] = [
    Seed(
        "coco",
        "coco",
        _dir("coco", ["instances.json"]),
        "instances.json",
        {"instances.json": "json"},
    ),
    Seed(
        "encord",
        "encord",
        _dir("encord", ["mini.json", "mini.ontology.json"]),
        "mini.json",
        {"mini.json": "json"},
    ),
    Seed(
        "ango",
        "ango",
        _dir(
            "ango",
            ["v3_all_tools.json", "v3_all_tools.ontology.json", "small.png", "brush-street.png"],
        ),
        "v3_all_tools.json",
        {"v3_all_tools.json": "json"},
    ),
    Seed(
        "ango-ndjson",
        "ango",
        _dir("ango", ["v3_assets.ndjson"]),
        "v3_assets.ndjson",
        {"v3_assets.ndjson": "ndjson"},
    ),
    Seed("ango-zip", "ango", (), "export.zip", {"export/v3_all_tools.json": "json"}, "zip"),
    Seed(
        "dataloop",
        "dataloop",
        _dir("dataloop", ["item_all_types.json", "recipe.json"]),
        "item_all_types.json",
        {"item_all_types.json": "json"},
    ),
    Seed("dataloop-zip", "dataloop", (), "export.zip", {"json/shelf/fruit.json": "json"}, "zip"),
    Seed(
        "dataloop-gz",
        "dataloop",
        (),
        "item_all_types.json.gz",
        {"item_all_types.json": "json"},
        "gzip",
    ),
    Seed(
        "segments",
        "segments",
        _dir("segments", ["vector_release.json"]),
        "vector_release.json",
        {"vector_release.json": "json"},
    ),
    Seed(
        "segments-bitmap",
        "segments",
        _dir("segments", ["bitmap_release.json"]),
        "bitmap_release.json",
        {"bitmap_release.json": "json"},
    ),
    Seed(
        "datagym",
        "datagym",
        _dir("datagym", ["export.json"]),
        "export.json",
        {"export.json": "json"},
    ),
    Seed(
        "labelme",
        "labelme",
        _dir("labelme", ["sample.json", "sample.png"]),
        "sample.json",
        {"sample.json": "json"},
    ),
    Seed(
        "voc",
        "voc",
        _dir("voc", ["Annotations/img1.xml", "JPEGImages/img1.png"]),
        ".",
        {"Annotations/img1.xml": "xml"},
    ),
    Seed(
        "yolo",
        "yolo",
        _dir(
            _YOLO, ["data.yaml", "labels/train/a.txt", "images/train/a.png", "images/train/b.png"]
        ),
        ".",
        {"labels/train/a.txt": "text", "data.yaml": "yaml"},
    ),
    Seed(
        "yolo-pose",
        "yolo",
        _dir(_POSE, ["data.yaml", "labels/train/p.txt", "images/train/p.png"]),
        ".",
        {"labels/train/p.txt": "text", "data.yaml": "yaml"},
    ),
]
SEED_NAMES = {seed.name: seed for seed in SEEDS}
READERS = [fmt.name for fmt in formats.readers()]
WRITERS = [fmt.name for fmt in formats.writers()]


@dataclass
class Baseline:
    """What the unmutated seed reads as (the reference for silent-loss checks)."""

    objects: int
    issues: list[str]  # their texts: a mutated input's issue is new when it is not one of these


@dataclass
class Case:
    """A seed laid out once in a folder; each mutated input overwrites the mutable files."""

    seed: Seed
    folder: Path
    baseline: Baseline
    input: Path = field(init=False)

    def __post_init__(self) -> None:
        self.input = self.seed.build(self.folder)

    def mutated(self, chooser: Chooser) -> tuple[dict[str, bytes], list[str]]:
        """Mutated contents of one mutable file (the others as they were) and what was done."""
        names = sorted(self.seed.mutable)
        name = pick(chooser, names)
        data, done = MUTATORS[self.seed.mutable[name]](self.seed.original(name), chooser)
        contents = {other: self.seed.original(other) for other in names}
        contents[name] = data
        return contents, [f"{name}: {step}" for step in done]

    def job(
        self,
        contents: dict[str, bytes],
        done: list[str],
        out: Path,
        *,
        other_reader: str | None = None,
        writers: list[str] | None = None,
    ) -> dict[str, Any]:
        """Place `contents` and describe the job for the worker."""
        self.seed.place(self.folder, contents)
        readers = [self.seed.format] + ([other_reader] if other_reader else [])
        return {
            "input": str(self.input),
            "readers": readers,
            "writers": WRITERS if writers is None else writers,
            "seed_objects": self.baseline.objects,
            "seed_issues": self.baseline.issues,
            "may_drop": may_drop(done),
            "out": str(out),
        }


def baseline(seed: Seed, folder: Path) -> Baseline:
    """Read the seed in-process (it is trusted: our own fixture) for its object and issue counts."""
    path = seed.build(folder)
    dataset = formats.read(path, format=seed.format)
    return Baseline(dataset.object_count, [str(issue) for issue in dataset.issues])


def cases(folder: Path, names: list[str] | None = None) -> list[Case]:
    """Every seed (or those named) laid out under `folder`, with its baseline."""
    chosen = [SEED_NAMES[name] for name in names] if names else SEEDS
    result = []
    for seed in chosen:
        counts = baseline(seed, folder / "baseline" / seed.name)
        result.append(Case(seed, folder / "cases" / seed.name, counts))
    return result
