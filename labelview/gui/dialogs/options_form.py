"""A form built from a writer's pydantic options model: one field per option, descriptions as
tooltips. Literal → combo box, bool → check box, int/float → spin box, str → line edit.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)


def label_of(name: str) -> str:
    """A field name as a form label: `one_based` → `One based`."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _plain(annotation: Any) -> Any:
    """The annotation without Optional[...] (None is never offered in a form)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return _plain(args[0])
    return annotation


class OptionsForm(QWidget):
    """Editable fields for every option of `model`; `options()` validates them into the model."""

    changed = Signal()

    def __init__(self, model: type[BaseModel], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.fields: dict[str, QWidget] = {}
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        for name, info in model.model_fields.items():
            widget = self._field(
                _plain(info.annotation), info.get_default(call_default_factory=True)
            )
            tip = info.description or ""
            widget.setToolTip(tip)
            label = QLabel(label_of(info.title or name))
            label.setToolTip(tip)
            layout.addRow(label, widget)
            if tip:
                # The description right under the field: tooltips alone go unread.
                hint = QLabel(tip)
                hint.setWordWrap(True)
                hint.setStyleSheet("color: palette(placeholder-text); font-size: 90%;")
                layout.addRow("", hint)
            self.fields[name] = widget
        if not self.fields:
            layout.addRow(QLabel("This format has no options."))
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #c0392b")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addRow(self.error_label)
        self.changed.connect(self._validate)

    def _field(self, annotation: Any, default: Any) -> QWidget:
        if typing.get_origin(annotation) is Literal:
            combo = QComboBox()
            for choice in typing.get_args(annotation):
                combo.addItem(str(choice), choice)
            index = combo.findData(default)
            combo.setCurrentIndex(max(index, 0))
            combo.currentIndexChanged.connect(self.changed)
            return combo
        if annotation is bool:
            box = QCheckBox()
            box.setChecked(bool(default))
            box.toggled.connect(self.changed)
            return box
        if annotation is int:
            spin = QSpinBox()
            spin.setRange(-(2**31), 2**31 - 1)
            spin.setValue(int(default or 0))
            spin.valueChanged.connect(self.changed)
            return spin
        if annotation is float:
            double = QDoubleSpinBox()
            double.setDecimals(3)
            double.setRange(-1e9, 1e9)
            double.setValue(float(default or 0.0))
            double.valueChanged.connect(self.changed)
            return double
        line = QLineEdit("" if default is None else str(default))
        line.textChanged.connect(self.changed)
        return line

    def values(self) -> dict[str, Any]:
        """The raw values of the fields (not yet validated)."""
        result: dict[str, Any] = {}
        for name, widget in self.fields.items():
            if isinstance(widget, QComboBox):
                result[name] = widget.currentData()
            elif isinstance(widget, QCheckBox):
                result[name] = widget.isChecked()
            elif isinstance(widget, QSpinBox | QDoubleSpinBox):
                result[name] = widget.value()
            elif isinstance(widget, QLineEdit):
                result[name] = widget.text()
        return result

    def set_values(self, values: dict[str, Any]) -> None:
        """Fill the fields from `values` (unknown names are ignored)."""
        for name, value in values.items():
            widget = self.fields.get(name)
            if isinstance(widget, QComboBox):
                index = widget.findData(value)
                if index >= 0:
                    widget.setCurrentIndex(index)
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QSpinBox):
                widget.setValue(int(value))
            elif isinstance(widget, QDoubleSpinBox):
                widget.setValue(float(value))
            elif isinstance(widget, QLineEdit):
                widget.setText(str(value))

    def error(self) -> str:
        """Why the current values are invalid ('' when they are fine)."""
        try:
            self.model.model_validate(self.values())
        except ValidationError as error:
            return "; ".join(
                f"{label_of(str(e['loc'][0])) if e['loc'] else 'Options'}: "
                f"{e['msg'].removeprefix('Value error, ')}"
                for e in error.errors()
            )
        return ""

    def options(self) -> BaseModel:
        """The validated options (pydantic ValidationError when a field is invalid)."""
        return self.model.model_validate(self.values())

    def _validate(self) -> None:
        message = self.error()
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))
