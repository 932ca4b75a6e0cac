"""Class ids of a written YOLO dataset: the categories in order, or the order of a label map.

A label map (`YoloOptions.names`) is a file listing class names one per line, or a data.yaml /
any yaml with `names` (a list, or a mapping of id to name, taken in id order). Class ids follow
its order from 0; categories of the dataset it does not name are appended after it, with a note.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from labelview.cancel import checked
from labelview.errors import FormatError
from labelview.formats._input import read_text
from labelview.formats._reading import BAD_VALUE, describe
from labelview.formats.base import WriteReport
from labelview.formats.yolo.layouts import names_file, names_from
from labelview.model import Dataset


def class_ids(
    dataset: Dataset, label_map: str | None, report: WriteReport, cancel: Any = None
) -> dict[str, int]:
    """Category name → class id; every category of the dataset and of its objects has one."""
    names = dict.fromkeys(read_label_map(Path(label_map), report)) if label_map else {}
    given = len(names)
    for name in dataset.categories:
        names.setdefault(name, None)
    # Objects whose category is missing from dataset.categories still need an id.
    for _, obj in checked(dataset.objects(), cancel):
        names.setdefault(obj.category, None)
    if label_map and len(names) > given:
        extra = list(names)[given:]
        shown = ", ".join(repr(name) for name in extra[:10])
        more = f" and {len(extra) - 10} more" if len(extra) > 10 else ""
        report.notes.append(
            f"label map: {len(extra)} categories not in {Path(label_map).name} appended after"
            f" it as ids {given}..{len(names) - 1}: {shown}{more}"
        )
    return {name: i for i, name in enumerate(names)}


def read_label_map(path: Path, report: WriteReport) -> list[str]:
    """The class names of a label map, in class-id order (FormatError when it cannot be read)."""
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(read_text(path, encoding="utf-8-sig"))
            if not isinstance(data, dict) or "names" not in data:
                raise FormatError(path.name, "", "a label map yaml needs a `names:` key")
            by_id = names_from(data["names"])
        else:
            by_id = names_file(path)
    except OSError as error:
        raise FormatError(path.name, "", f"label map not read: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise FormatError(path.name, "", f"label map not read: invalid YAML ({error})") from None
    except BAD_VALUE as error:
        raise FormatError(path.name, "names", f"label map not read: {describe(error)}") from None
    ordered = [by_id[key] for key in sorted(by_id)]
    if sorted(by_id) != list(range(len(by_id))):
        report.notes.append(
            f"label map {path.name}: ids are not 0..{len(by_id) - 1} (blank lines or gaps);"
            " classes renumbered in their order"
        )
    unique = list(dict.fromkeys(ordered))
    if len(unique) < len(ordered):
        report.notes.append(
            f"label map {path.name}: {len(ordered) - len(unique)} repeated names listed once"
        )
    return unique
