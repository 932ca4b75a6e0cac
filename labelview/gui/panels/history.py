"""History panel: the item's stage events, oldest first, with durations."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labelview.gui.session import Session
from labelview.model import StageEvent


def duration_text(seconds: float | None) -> str:
    """1h 02m, 3m 05s, 12.5s — empty when unknown."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds % 1 else f"{int(seconds)}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def ordered(events: list[StageEvent]) -> list[StageEvent]:
    """Oldest first: by timestamp when all events have one (ISO-8601 sorts), else as given."""
    if events and all(event.at for event in events):
        return sorted(events, key=lambda event: event.at or "")
    return list(events)


class HistoryPanel(QWidget):
    """A table of StageEvents of the current item."""

    HEADERS = ("Stage", "Action", "Actor", "At", "Duration")

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.table = QTableWidget(0, len(self.HEADERS))
        self.table.setHorizontalHeaderLabels(self.HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.table)
        session.item_changed.connect(self.refresh)
        session.loaded.connect(self.refresh)

    def refresh(self) -> None:
        item = self.session.item
        events = ordered(item.history) if item is not None else []
        self.table.setRowCount(len(events))
        for row, event in enumerate(events):
            values = (
                event.stage or "",
                event.action or "",
                event.actor or "",
                event.at or "",
                duration_text(event.duration),
            )
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))

    def rows(self) -> list[tuple[str, ...]]:
        """The table's text, row by row (for tests)."""
        return [
            tuple(self.table.item(row, col).text() for col in range(self.table.columnCount()))
            for row in range(self.table.rowCount())
        ]
