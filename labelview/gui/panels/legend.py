"""Legend panel: categories with colour, object count and a visibility checkbox."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from labelview.gui.canvas.palette import color_for, swatch
from labelview.gui.panels.objects import shape_text
from labelview.gui.session import Session


class LegendPanel(QWidget):
    """One row per category (in the dataset's order; keys 1–9 toggle the first nine)."""

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setHeaderLabels(["Category", "Here", "All", "Shape"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)
        for column in (1, 2, 3):
            self.tree.header().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.tree)
        self._rows: dict[str, QTreeWidgetItem] = {}
        self.tree.itemChanged.connect(self._checked)
        session.loaded.connect(self._reset)
        session.visibility_changed.connect(self._sync_checks)
        session.item_changed.connect(self._count_here)
        session.objects_filtered.connect(self._count_here)

    def _reset(self) -> None:
        self.tree.blockSignals(True)
        self.tree.clear()
        self._rows = {}
        dataset = self.session.dataset
        if dataset is not None:
            counts: dict[str, int] = {}
            kinds: dict[str, dict[str, None]] = {}  # the shapes drawn, in first-seen order
            for _, obj in dataset.objects():
                counts[obj.category] = counts.get(obj.category, 0) + 1
                kinds.setdefault(obj.category, {})[obj.kind] = None
            for position, (name, category) in enumerate(dataset.categories.items()):
                key = f"{position + 1}  " if position < 9 else "   "
                # The ontology's declared tool when it gives one, else what the export holds.
                shapes = [category.shape] if category.shape else list(kinds.get(name, ()))
                shape = ", ".join(shape_text(kind) for kind in shapes)
                row = QTreeWidgetItem([name, "", f"{counts.get(name, 0):,}", shape])
                row.setIcon(0, swatch(color_for(category, name)))
                row.setToolTip(0, f"{key.strip() and 'key ' + key.strip() + ': '}show/hide {name}")
                row.setData(0, Qt.ItemDataRole.UserRole, name)
                row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                row.setCheckState(0, Qt.CheckState.Checked)
                row.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
                row.setTextAlignment(2, Qt.AlignmentFlag.AlignRight)
                self.tree.addTopLevelItem(row)
                self._rows[name] = row
        self.tree.blockSignals(False)
        self._count_here()

    def _count_here(self) -> None:
        counts: dict[str, int] = {}
        for obj in self.session.shown_objects():
            counts[obj.category] = counts.get(obj.category, 0) + 1
        self.tree.blockSignals(True)
        for name, row in self._rows.items():
            row.setText(1, f"{counts[name]:,}" if name in counts else "")
        self.tree.blockSignals(False)

    def _sync_checks(self) -> None:
        self.tree.blockSignals(True)
        for name, row in self._rows.items():
            hidden = name in self.session.hidden
            row.setCheckState(0, Qt.CheckState.Unchecked if hidden else Qt.CheckState.Checked)
        self.tree.blockSignals(False)

    def _checked(self, row: QTreeWidgetItem, column: int) -> None:
        if column != 0:
            return
        name = row.data(0, Qt.ItemDataRole.UserRole)
        self.session.set_category_visible(name, row.checkState(0) == Qt.CheckState.Checked)

    def row(self, name: str) -> QTreeWidgetItem:
        """The legend row of category `name`."""
        return self._rows[name]
