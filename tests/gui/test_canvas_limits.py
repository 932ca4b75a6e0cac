"""The canvas never decodes an image claiming more than limits.MAX_PIXELS."""

from __future__ import annotations

from pathlib import Path

from labelview.gui.canvas.view import load_image
from tests.formats.hostile import png_bomb, png_full


def test_a_png_bomb_is_not_decoded_and_a_real_image_is(tmp_path: Path) -> None:
    (tmp_path / "bomb.png").write_bytes(png_bomb(50000, 50000, rgba=True))
    (tmp_path / "good.png").write_bytes(png_full(40, 30))
    assert load_image(tmp_path / "bomb.png") is None
    assert load_image(tmp_path / "good.png").shape[:2] == (30, 40)
