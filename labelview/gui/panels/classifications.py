"""Classifications panel: item-, frame- and selected-object-level answers as nested trees."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from labelview.gui.session import Session
from labelview.model import Answer


def value_text(value: Any) -> str:
    """An answer's value as one line (lists joined, booleans as yes/no)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value)
    return str(value)


def _details(answer: Answer) -> str:
    parts = []
    if answer.frames is not None:
        first, last = answer.frames
        parts.append(f"frame {first}" if first == last else f"frames {first}–{last}")
    if answer.confidence is not None:
        parts.append(f"confidence {answer.confidence:.2f}")
    if answer.source:
        parts.append(answer.source)
    if answer.answered_by:
        parts.append(answer.answered_by)
    return ", ".join(parts)


class ClassificationsPanel(QWidget):
    """A tree: Item / Frame K / Object, each with its answers nested as in the export."""

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Question", "Answer", "Details"])
        self.tree.setColumnWidth(0, 170)
        self.tree.setColumnWidth(1, 150)
        self.tree.setUniformRowHeights(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.tree)
        session.item_changed.connect(self.refresh)
        session.selection_changed.connect(self.refresh)
        session.loaded.connect(self.refresh)

    def refresh(self, *_args: object) -> None:
        """Rebuild the tree from the current item, frame and selection."""
        self.tree.clear()
        item = self.session.item
        if item is None:
            return
        frame = self.session.frame
        whole = [a for a in item.classifications if a.frames is None]
        framed = [a for a in item.classifications if a.frames is not None and a.applies_to(frame)]
        self._section("Item", whole)
        if framed or (frame is not None and item.frames):
            self._section(f"Frame {frame}" if frame is not None else "Frames", framed)
        selected = self.session.selected
        if selected is not None:
            title = f"Object: {selected.category}" + (f" ({selected.id})" if selected.id else "")
            self._section(title, [a for a in selected.attributes if a.applies_to(frame)])
        self.tree.expandAll()
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Question and answer sized to their text, within the panel; details get the rest."""
        available = max(self.tree.viewport().width(), 120)
        self.tree.resizeColumnToContents(0)
        self.tree.setColumnWidth(0, min(self.tree.columnWidth(0), int(available * 0.45)))
        self.tree.resizeColumnToContents(1)
        room = available - self.tree.columnWidth(0) - 60  # keep a glimpse of the details
        self.tree.setColumnWidth(1, max(60, min(self.tree.columnWidth(1), room)))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def _section(self, title: str, answers: list[Answer]) -> None:
        top = QTreeWidgetItem([title, "" if answers else "(none)", ""])
        font = QFont(top.font(0))
        font.setBold(True)
        top.setFont(0, font)
        self.tree.addTopLevelItem(top)
        # A section title ("Object: person (id)") may be longer than the question column.
        top.setFirstColumnSpanned(bool(answers))
        top.setToolTip(0, title)
        self._add(top, answers)

    def _add(self, parent: QTreeWidgetItem, answers: Iterable[Answer]) -> None:
        for answer in answers:
            node = QTreeWidgetItem([answer.name, value_text(answer.value), _details(answer)])
            node.setToolTip(0, answer.name)
            node.setToolTip(1, value_text(answer.value))
            node.setToolTip(2, node.text(2))
            parent.addChild(node)
            self._add(node, answer.children)

    def rows(self) -> list[tuple[int, str, str]]:
        """(depth, question, answer) of every row, depth-first (for tests)."""
        out: list[tuple[int, str, str]] = []

        def visit(node: QTreeWidgetItem, depth: int) -> None:
            out.append((depth, node.text(0), node.text(1)))
            for index in range(node.childCount()):
                visit(node.child(index), depth + 1)

        for index in range(self.tree.topLevelItemCount()):
            visit(self.tree.topLevelItem(index), 0)
        return out
