"""Ask which format a file is in, showing every reader's verdict and its reason."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labelview.formats.base import Confidence, Detection, Format


class ChooseFormatDialog(QDialog):
    """Lists (format, confidence, reason); OK reads the file as the selected format."""

    def __init__(
        self, name: str, verdicts: list[tuple[Format, Detection]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose the format")
        best = verdicts[0][1].confidence if verdicts else Confidence.NO
        if not verdicts:
            text = f"No reader is available for <b>{name}</b>."
        elif best <= Confidence.WEAK:
            text = f"No format recognises <b>{name}</b> for sure. Pick one to try:"
        else:
            text = f"Several formats claim <b>{name}</b>. Pick the right one:"
        label = QLabel(text)
        label.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setHeaderLabels(["Format", "Verdict", "Reason"])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for fmt, verdict in verdicts:
            row = QTreeWidgetItem([fmt.title, verdict.confidence.name.lower(), verdict.reason])
            row.setData(0, Qt.ItemDataRole.UserRole, fmt.name)
            row.setToolTip(2, verdict.reason)
            self.tree.addTopLevelItem(row)
        if verdicts:
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Open).setEnabled(bool(verdicts))
        self.tree.itemDoubleClicked.connect(lambda *_: self.accept())
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.tree)
        layout.addWidget(self.buttons)
        self.resize(640, 320)

    def choose(self, name: str) -> None:
        """Select the row of format `name`."""
        for index in range(self.tree.topLevelItemCount()):
            row = self.tree.topLevelItem(index)
            if row.data(0, Qt.ItemDataRole.UserRole) == name:
                self.tree.setCurrentItem(row)
                return
        raise KeyError(name)

    def chosen(self) -> str | None:
        """The registry name of the selected format."""
        row = self.tree.currentItem()
        return row.data(0, Qt.ItemDataRole.UserRole) if row is not None else None
