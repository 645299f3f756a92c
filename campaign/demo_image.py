"""The demo campaign's hero image, drawn here (no picture is copied into the repository).

A wall of posts and photos in the brand colours, with a shield held up in front of it: the
campaign's idea, people keeping their posts out of an AI's training data.
"""

import io
import random

from PIL import Image, ImageDraw

SIZE = (1600, 800)
GREEN, DARK, LIGHT, GOLD, WHITE = "#0b5d4b", "#06392e", "#d7e8e3", "#ffbf47", "#ffffff"
ALT = {
    "nl": "Tekening: een muur van berichten en foto's, met een schild ervoor.",
    "en": "Drawing: a wall of posts and photos, with a shield in front of it.",
}


def demo_hero_png() -> bytes:
    rng = random.Random(2026)  # noqa: S311 (a drawing, not a secret: the same one every time)
    image = Image.new("RGB", SIZE, GREEN)
    draw = ImageDraw.Draw(image)
    tile, gap = 150, 26
    for row in range(-1, SIZE[1] // (tile + gap) + 1):
        for column in range(SIZE[0] // (tile + gap) + 1):
            x = column * (tile + gap) + (row % 2) * (tile // 2) - 40
            y = row * (tile + gap) + 30
            box = (x, y, x + tile, y + tile)
            draw.rounded_rectangle(box, radius=16, fill=DARK if rng.random() < 0.3 else LIGHT)
            if rng.random() < 0.5:  # a photo: a sun over hills
                draw.ellipse((x + 92, y + 22, x + 124, y + 54), fill=GOLD)
                draw.polygon(
                    [(x + 12, y + 132), (x + 60, y + 70), (x + 92, y + 108), (x + 140, y + 132)],
                    fill=GREEN,
                )
            else:  # a post: lines of text
                for line in range(4):
                    width = rng.randint(60, 120)
                    top = y + 30 + line * 26
                    draw.rounded_rectangle((x + 16, top, x + 16 + width, top + 10), 5, fill=GREEN)
    # The shield, with a check mark: the objection is in.
    cx, top = SIZE[0] * 0.68, 150
    shield = [
        (cx - 190, top),
        (cx + 190, top),
        (cx + 190, top + 250),
        (cx, top + 520),
        (cx - 190, top + 250),
    ]
    draw.polygon([(x + 14, y + 14) for x, y in shield], fill=DARK)
    draw.polygon(shield, fill=WHITE, outline=GOLD, width=14)
    draw.line(
        [(cx - 95, top + 230), (cx - 20, top + 310), (cx + 110, top + 150)], fill=GREEN, width=42
    )
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
