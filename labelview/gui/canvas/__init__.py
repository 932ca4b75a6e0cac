"""The image canvas: view (ViewBox, picking), layers (batched overlays), palette (colours)."""
