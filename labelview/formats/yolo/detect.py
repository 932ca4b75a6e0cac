"""Detecting a YOLO input: a data.yaml, a Darknet obj.data, or a folder of label .txt files.

Only names and the first lines of a few label files are looked at, never every label file.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from labelview.formats import _input
from labelview.formats.base import Confidence, Detection, Probe, no
from labelview.images import IMAGE_SUFFIXES

NAMES_FILES = ("labels.txt", "classes.txt", "obj.names", "names.txt", "class_names.txt")
SPLITS = ("train", "val", "test")
LABEL_DIRS = {"labels", "annotations", "obj_train_data", "obj_valid_data", "obj_test_data"}
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def detect(probe: Probe) -> Detection:
    """CERTAIN for a data.yaml with `names` beside labels/*.txt; LIKELY for label .txt + images."""
    if not probe.is_dir:
        if probe.suffix in (".yaml", ".yml"):
            text = probe.text
            if re.search(r"^names\s*:", text, re.M) and re.search(r"^(train|val)\s*:", text, re.M):
                return Detection(Confidence.CERTAIN, "YAML with names and train/val splits")
            if re.search(r"^names\s*:", text, re.M):
                return Detection(Confidence.LIKELY, "YAML with names")
            return no("YAML without names")
        if probe.path.name == "obj.data":
            return Detection(Confidence.CERTAIN, "Darknet obj.data")
        return no("not a YOLO dataset file or folder")
    names = probe.names
    lowered = {PurePosixPath(n).name.lower() for n in names}
    images = [n for n in names if PurePosixPath(n).suffix.lower() in IMAGE_SUFFIXES]
    label_txt = [n for n in names if n.endswith(".txt") and "labels/" in f"/{n}"]
    # The probe lists at most a few thousand names (images first): look at the top level directly.
    yaml_path = find_yaml(probe.path)
    if yaml_path is not None:
        has_labels = (
            bool(label_txt) or any(probe.path.glob("labels/*")) or any(probe.path.glob("*/labels"))
        )
        if has_labels:
            return Detection(Confidence.CERTAIN, f"{yaml_path.name} with names and labels/")
        return Detection(Confidence.LIKELY, f"{yaml_path.name} with names (no labels/ folder)")
    if (probe.path / "obj.data").is_file() and "obj.names" in lowered:
        return Detection(Confidence.CERTAIN, "Darknet obj.data + obj.names")
    other_txt = [
        n
        for n in names
        if n.endswith(".txt")
        and not is_names_or_list(n)
        and not PurePosixPath(n).name.lower().startswith(("readme", "license", "notes"))
    ]
    names_file = next(
        (n for n in names if is_names_file(n) and len(PurePosixPath(n).parts) <= 2), None
    )
    if names_file is None and probe.path.name.lower() in LABEL_DIRS:
        # An opened annotations/ folder: the names file sits one level up.
        above = next((n for n in NAMES_FILES if (probe.path.parent / n).is_file()), None)
        names_file = f"../{above}" if above else None
    if names_file is not None and other_txt and _first_label_line_ok(probe.path, other_txt):
        # Dataloop's converter (labels.txt + annotations/**.txt) and bare Darknet folders keep
        # the images elsewhere: the names file and the label lines are the evidence.
        if PurePosixPath(names_file).name.lower() == "labels.txt" and any(
            n.startswith("annotations/") for n in other_txt
        ):
            return Detection(
                Confidence.CERTAIN,
                f"labels.txt + {len(other_txt)} YOLO label files in annotations/ "
                "(Dataloop converter layout)",
            )
        return Detection(
            Confidence.LIKELY, f"{names_file} + {len(other_txt)} YOLO label .txt files"
        )
    if (label_txt or other_txt) and images:
        stems = {PurePosixPath(n).stem for n in images}
        matched = sum(PurePosixPath(n).stem in stems for n in (label_txt or other_txt))
        if matched and _first_label_line_ok(probe.path, label_txt or other_txt):
            return Detection(Confidence.LIKELY, f"{matched} label .txt files matching images")
    return no("no data.yaml and no label .txt files beside images")


def is_names_file(name: str) -> bool:
    lowered = PurePosixPath(name).name.lower()
    return lowered in NAMES_FILES or lowered.endswith(".names")


def is_names_or_list(name: str) -> bool:
    """A class-names file or a Darknet/Ultralytics split list (train.txt): not a label file."""
    lowered = PurePosixPath(name).name.lower()
    return is_names_file(name) or lowered in {f"{s}.txt" for s in (*SPLITS, "valid")}


def _first_label_line_ok(root: Path, names: list[str]) -> bool:
    """True when the first non-empty of a few label files starts with `int float float ...`."""
    for name in names[:5]:
        try:
            with (root / name).open("r", encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    tokens = line.split()
                    if tokens:
                        return (
                            tokens[0].isdigit()
                            and len(tokens) >= 5
                            and all(_NUMBER.match(t) for t in tokens[1:])
                        )
        except OSError:
            continue
    return False


def find_yaml(root: Path) -> Path | None:
    """The dataset yaml of a folder: data.yaml / dataset.yaml first, else any yaml with `names`."""
    candidates = sorted(root.glob("*.yaml")) + sorted(root.glob("*.yml"))
    preferred = [p for p in candidates if p.stem in ("data", "dataset")]
    for path in preferred + candidates:
        try:
            head = _input.read_head(path, 1 << 20).decode("utf-8", errors="replace")
        except OSError:
            continue
        if re.search(r"^names\s*:", head, re.M):
            return path
    return None
