"""Real images made with Pillow (gradients, shapes, text) and the edits sellers make to them."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps


def product_photo(seed: int, size: tuple[int, int] = (480, 360)) -> Image.Image:
    """A deterministic picture: a two-colour gradient, 3–7 filled shapes and a line of text."""
    r = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size)
    d = ImageDraw.Draw(img)
    c1 = tuple(r.randrange(256) for _ in range(3))
    c2 = tuple(r.randrange(256) for _ in range(3))
    for i in range(h):
        t = i / h
        d.line([(0, i), (w, i)], fill=tuple(int(a + (b - a) * t) for a, b in zip(c1, c2, strict=True)))
    for _ in range(r.randint(3, 7)):
        x0, y0 = r.randrange(w), r.randrange(h)
        box = (x0, y0, x0 + r.randint(30, w // 2), y0 + r.randint(30, h // 2))
        colour = tuple(r.randrange(256) for _ in range(3))
        kind = r.random()
        if kind < 0.33:
            d.ellipse(box, fill=colour)
        elif kind < 0.66:
            d.rectangle(box, fill=colour)
        else:
            d.polygon([(r.randrange(w), r.randrange(h)) for _ in range(r.randint(3, 6))], fill=colour)
    font = ImageFont.load_default(size=r.randint(20, 40))
    d.text(
        (r.randrange(w // 2), r.randrange(h - 50)),
        r.choice(["KY-055", "SAFE", "Aer2"]),
        fill="white",
        font=font,
    )
    return img


def jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue()))


def crop(img: Image.Image, r: random.Random, most: float = 0.10) -> Image.Image:
    w, h = img.size
    return img.crop(
        (
            int(w * r.uniform(0, most)),
            int(h * r.uniform(0, most)),
            w - int(w * r.uniform(0, most)),
            h - int(h * r.uniform(0, most)),
        )
    )


def watermark(img: Image.Image) -> Image.Image:
    base = img.convert("RGBA")
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    w, h = base.size
    font = ImageFont.load_default(size=max(12, h // 18))
    ImageDraw.Draw(overlay).text(
        (int(w * 0.5), int(h * 0.85)), "SHOP-8888.COM", fill=(255, 255, 255, 170), font=font
    )
    return Image.alpha_composite(base, overlay).convert("RGB")


def recolour(img: Image.Image, shift: int) -> Image.Image:
    h, s, v = img.convert("HSV").split()
    return Image.merge("HSV", (h.point(lambda x: (x + shift) % 256), s, v)).convert("RGB")


EDITS = {
    "crop": lambda img, r: crop(img, r),
    "resize": lambda img, r: img.resize(
        (int(img.width * r.uniform(0.4, 0.7)), int(img.height * r.uniform(0.4, 0.7)))
    ),
    "jpeg-q15": lambda img, r: jpeg(img, 15),
    "mirror": lambda img, r: ImageOps.mirror(img),
    "watermark": lambda img, r: watermark(img),
    "recolour": lambda img, r: recolour(img, r.randint(40, 200)),
    "greyscale": lambda img, r: ImageOps.grayscale(img).convert("RGB"),
    "brightness": lambda img, r: ImageEnhance.Brightness(img).enhance(r.uniform(0.7, 1.3)),
    "all-at-once": lambda img, r: jpeg(watermark(ImageOps.mirror(crop(img, r, 0.08))).resize((300, 220)), 30),
}
