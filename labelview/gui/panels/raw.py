"""Raw JSON panel: all the model holds about the selection (or the item), `extra` included."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

from labelview.gui.session import Session
from labelview.model import Item, Mask, ObjectLabel

_MAX_POINTS = 500
_MAX_TEXT = 2000


def jsonable(value: Any) -> Any:
    """A JSON-ready copy of model values (dataclasses, numpy arrays, paths); long data shortened."""
    if isinstance(value, Mask):
        source = value.source
        out: dict[str, Any] = {"kind": "mask", "height": value.height, "width": value.width}
        out["encoding"] = type(source).__name__
        for name in ("counts", "string", "describe"):
            data = getattr(source, name, None)
            if isinstance(data, str):
                out[name] = data if len(data) <= _MAX_TEXT else data[:_MAX_TEXT] + "…"
            elif isinstance(data, list):
                out[name] = data[:_MAX_POINTS]
        return out
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        kind = getattr(type(value), "kind", None)
        if isinstance(kind, str):
            out["kind"] = kind
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if item is None or (isinstance(item, list | tuple | dict) and not item):
                continue
            out[field.name] = jsonable(item)
        return out
    if isinstance(value, np.ndarray):
        if value.ndim == 2 and len(value) > _MAX_POINTS:
            return [*value[:_MAX_POINTS].tolist(), f"… {len(value) - _MAX_POINTS} more"]
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return repr(value)


def item_summary(item: Item) -> dict[str, Any]:
    """The item without its objects and answers (they have their own panels)."""
    data = item.model_dump(exclude={"objects", "classifications", "relations", "history"})
    data["objects"] = len(item.objects)
    if item.relations:
        data["relations"] = jsonable(item.relations)
    return jsonable({k: v for k, v in data.items() if v not in (None, [], {})})


def object_json(obj: ObjectLabel) -> dict[str, Any]:
    return jsonable(obj)


class RawPanel(QWidget):
    """Read-only, monospaced JSON of the selected object, or of the item when nothing is."""

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.text = QPlainTextEdit(readOnly=True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.text)
        session.item_changed.connect(self.refresh)
        session.selection_changed.connect(self.refresh)

    def refresh(self, *_args: object) -> None:
        selected = self.session.selected
        item = self.session.item
        if selected is not None:
            data: Any = object_json(selected)
        elif item is not None:
            data = item_summary(item)
        else:
            data = None
        self.text.setPlainText(
            "" if data is None else json.dumps(data, indent=2, ensure_ascii=False, default=repr)
        )
