"""Garment pictures drawn with Pillow for the demo and the benchmarks: nothing is downloaded."""

import io
import random

from PIL import Image, ImageDraw, ImageFilter

COLOURS = {
    "Navy": (38, 52, 92),
    "Oat white": (232, 222, 204),
    "Charcoal": (62, 62, 66),
    "Indigo": (52, 62, 120),
    "Rust": (168, 84, 48),
    "Sage": (146, 164, 134),
    "Black": (30, 30, 32),
    "Sand": (206, 184, 150),
    "Olive": (110, 112, 60),
    "Sky": (150, 186, 214),
    "Brick": (150, 60, 50),
    "Cream": (240, 232, 214),
}

SHAPES = {
    "shirt": [
        (0.30, 0.12),
        (0.42, 0.08),
        (0.50, 0.14),
        (0.58, 0.08),
        (0.70, 0.12),
        (0.92, 0.30),
        (0.80, 0.40),
        (0.72, 0.32),
        (0.72, 0.90),
        (0.28, 0.90),
        (0.28, 0.32),
        (0.20, 0.40),
        (0.08, 0.30),
    ],
    "trousers": [
        (0.30, 0.08),
        (0.70, 0.08),
        (0.74, 0.92),
        (0.56, 0.92),
        (0.50, 0.35),
        (0.44, 0.92),
        (0.26, 0.92),
    ],
    "dress": [
        (0.38, 0.08),
        (0.62, 0.08),
        (0.66, 0.30),
        (0.60, 0.38),
        (0.82, 0.92),
        (0.18, 0.92),
        (0.40, 0.38),
        (0.34, 0.30),
    ],
    "jacket": [
        (0.30, 0.10),
        (0.44, 0.06),
        (0.50, 0.30),
        (0.56, 0.06),
        (0.70, 0.10),
        (0.90, 0.34),
        (0.90, 0.80),
        (0.76, 0.80),
        (0.74, 0.92),
        (0.26, 0.92),
        (0.24, 0.80),
        (0.10, 0.80),
        (0.10, 0.34),
    ],
    "knit": [
        (0.30, 0.10),
        (0.50, 0.14),
        (0.70, 0.10),
        (0.94, 0.70),
        (0.82, 0.74),
        (0.72, 0.40),
        (0.72, 0.90),
        (0.28, 0.90),
        (0.28, 0.40),
        (0.18, 0.74),
        (0.06, 0.70),
    ],
}


def garment_jpeg(shape: str, colour: str, seed: int, size=(800, 1000), quality: int = 85) -> bytes:
    """A photo-like JPEG of a garment shape in `colour` on a soft, textured backdrop."""
    rng = random.Random(seed)
    width, height = size
    backdrop = (rng.randint(236, 248), rng.randint(230, 242), rng.randint(220, 232))
    image = Image.new("RGB", size, backdrop)
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(width), rng.randrange(height)
        shade = tuple(max(0, c - rng.randint(4, 12)) for c in backdrop)
        draw.ellipse((x, y, x + rng.randint(40, 160), y + rng.randint(40, 160)), fill=shade)
    image = image.filter(ImageFilter.GaussianBlur(18))
    draw = ImageDraw.Draw(image)
    fill = COLOURS.get(colour, (120, 110, 100))
    points = [(px * width, py * height) for px, py in SHAPES.get(shape, SHAPES["shirt"])]
    shadow = [(x + 10, y + 14) for x, y in points]
    draw.polygon(shadow, fill=tuple(max(0, c - 40) for c in backdrop))
    draw.polygon(points, fill=fill)
    # A weave: fine lines a little darker than the cloth, so the fabric reads as fabric.
    weave = tuple(max(0, c - 18) for c in fill)
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).polygon(points, fill=255)
    texture = Image.new("RGB", size, fill)
    tdraw = ImageDraw.Draw(texture)
    for y in range(0, height, 6):
        tdraw.line((0, y, width, y), fill=weave, width=1)
    image.paste(texture, (0, 0), mask)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()
