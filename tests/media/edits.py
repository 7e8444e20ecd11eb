"""Common edits people apply to a photo before re-posting it, for the edit benchmark and tests.

Each edit is ``(name, fn)`` with ``fn(image, other) -> image``: ``other`` is an unrelated photo
(used by collages). Every size and offset is relative to the image, so the same edit reads the
same on a 300 px and a 4000 px photo. ``encode`` gives the bytes a platform would receive.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

Edit = Callable[[Image.Image, Image.Image], Image.Image]


def encode(img: Image.Image, quality: int = 92) -> bytes:
    """JPEG bytes (how most re-uploads arrive)."""
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(8, px))


def jpeg(q: int) -> Edit:
    def fn(im: Image.Image, _: Image.Image) -> Image.Image:
        with Image.open(io.BytesIO(encode(im, q))) as out:
            return out.convert("RGB")

    return fn


def scale(f: float) -> Edit:
    def fn(im: Image.Image, _: Image.Image) -> Image.Image:
        w, h = im.size
        return im.resize((max(8, round(w * f)), max(8, round(h * f))), Image.Resampling.LANCZOS)

    return fn


def long_side(px: int) -> Edit:
    def fn(im: Image.Image, _: Image.Image) -> Image.Image:
        out = im.copy()
        out.thumbnail((px, px), Image.Resampling.LANCZOS)
        return out

    return fn


def crop(frac: float, where: str = "center") -> Edit:
    """Remove ``frac`` of each dimension: split over both sides (center) or from one side."""

    def fn(im: Image.Image, _: Image.Image) -> Image.Image:
        w, h = im.size
        dx, dy = round(w * frac), round(h * frac)
        if where == "center":
            return im.crop((dx // 2, dy // 2, w - (dx - dx // 2), h - (dy - dy // 2)))
        if where == "right":
            return im.crop((0, 0, w - dx, h))
        if where == "bottom":
            return im.crop((0, 0, w, h - dy))
        return im.crop((dx, 0, w, h))  # left

    return fn


def pad(frac: float, color: tuple[int, int, int]) -> Edit:
    """A uniform border of ``frac`` of the short side on every side."""

    def fn(im: Image.Image, _: Image.Image) -> Image.Image:
        b = max(1, round(min(im.size) * frac))
        return ImageOps.expand(im, border=b, fill=color)

    return fn


def letterbox(aspect: float, color: tuple[int, int, int] = (0, 0, 0)) -> Edit:
    """Fit into a ``aspect`` (w/h) frame with bars, as video and story exports do."""

    def fn(im: Image.Image, _: Image.Image) -> Image.Image:
        w, h = im.size
        if w / h < aspect:
            cw, ch = round(h * aspect), h
        else:
            cw, ch = w, round(w / aspect)
        canvas = Image.new("RGB", (cw, ch), color)
        canvas.paste(im, ((cw - w) // 2, (ch - h) // 2))
        return canvas

    return fn


def story(width: int = 720, blur: float = 0.03) -> Edit:
    """A 9:16 story: the photo fit to the width on a blurred, enlarged copy of itself."""

    def fn(im: Image.Image, _: Image.Image) -> Image.Image:
        cw, ch = width, round(width * 16 / 9)
        bg = ImageOps.fit(im, (cw, ch), Image.Resampling.BILINEAR)
        bg = bg.filter(ImageFilter.GaussianBlur(cw * blur))
        bg = ImageEnhance.Brightness(bg).enhance(0.8)
        fg = im.resize((cw, max(1, round(im.height * cw / im.width))), Image.Resampling.LANCZOS)
        if fg.height > ch:
            fg = ImageOps.contain(im, (cw, ch), Image.Resampling.LANCZOS)
        bg.paste(fg, ((cw - fg.width) // 2, (ch - fg.height) // 2))
        return bg

    return fn


def rotate(deg: float) -> Edit:
    def fn(im: Image.Image, _: Image.Image) -> Image.Image:
        if deg % 90 == 0:
            return im.rotate(deg, expand=True)
        return im.rotate(deg, Image.Resampling.BICUBIC, expand=False)

    return fn


def rotate_crop(deg: float) -> Edit:
    """Small rotation, then cropped to the largest upright rectangle (no blank corners)."""

    def fn(im: Image.Image, _: Image.Image) -> Image.Image:
        w, h = im.size
        out = im.rotate(deg, Image.Resampling.BICUBIC, expand=False)
        a = np.radians(abs(deg))
        k = 1 / (np.cos(a) + np.sin(a) * max(w / h, h / w))
        cw, ch = round(w * k), round(h * k)
        return out.crop(((w - cw) // 2, (h - ch) // 2, (w + cw) // 2, (h + ch) // 2))

    return fn


def transpose(t: Image.Transpose) -> Edit:
    return lambda im, _: im.transpose(t)


def grayscale(im: Image.Image, _: Image.Image) -> Image.Image:
    return ImageOps.grayscale(im).convert("RGB")


def enhance(kind: str, factor: float) -> Edit:
    cls = {
        "brightness": ImageEnhance.Brightness,
        "contrast": ImageEnhance.Contrast,
        "saturation": ImageEnhance.Color,
        "sharpness": ImageEnhance.Sharpness,
    }[kind]
    return lambda im, _: cls(im).enhance(factor)


def gamma(g: float) -> Edit:
    lut = [round(255 * (i / 255) ** g) for i in range(256)] * 3
    return lambda im, _: im.point(lut)


def blur(frac: float) -> Edit:
    return lambda im, _: im.filter(ImageFilter.GaussianBlur(max(im.size) * frac))


def noise(sigma: float, seed: int = 7) -> Edit:
    def fn(im: Image.Image, _: Image.Image) -> Image.Image:
        arr = np.asarray(im, np.float32)
        arr = arr + np.random.default_rng(seed).normal(0, sigma, arr.shape)
        return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))

    return fn


def sharpen(im: Image.Image, _: Image.Image) -> Image.Image:
    return im.filter(ImageFilter.UnsharpMask(radius=2, percent=150, threshold=2))


def invert(im: Image.Image, _: Image.Image) -> Image.Image:
    return ImageOps.invert(im.convert("RGB"))


def caption_bar(frac: float = 0.18, where: str = "bottom", text: str = "when you see it") -> Edit:
    """A white bar with black text added above or below the photo."""

    def fn(im: Image.Image, _: Image.Image) -> Image.Image:
        w, h = im.size
        bh = max(10, round(h * frac))
        canvas = Image.new("RGB", (w, h + bh), (255, 255, 255))
        y0 = 0 if where == "top" else h
        canvas.paste(im, (0, bh if where == "top" else 0))
        d = ImageDraw.Draw(canvas)
        d.text((w // 20, y0 + bh // 4), text, fill=(0, 0, 0), font=_font(bh // 2))
        return canvas

    return fn


def meme(bars: bool) -> Edit:
    """Top and bottom meme text: in white bars (``bars``) or outlined on the photo itself."""

    def fn(im: Image.Image, _: Image.Image) -> Image.Image:
        w, h = im.size
        size = max(10, h // 9)
        if bars:
            bh = round(size * 1.6)
            canvas = Image.new("RGB", (w, h + 2 * bh), (255, 255, 255))
            canvas.paste(im, (0, bh))
            d = ImageDraw.Draw(canvas)
            d.text((w // 2, bh // 2), "TOP TEXT HERE", fill=(0, 0, 0), font=_font(size),
                   anchor="mm")  # fmt: skip
            d.text((w // 2, h + bh + bh // 2), "BOTTOM TEXT", fill=(0, 0, 0), font=_font(size),
                   anchor="mm")  # fmt: skip
            return canvas
        out = im.copy()
        d = ImageDraw.Draw(out)
        for y, t in ((size, "TOP TEXT HERE"), (h - size, "BOTTOM TEXT")):
            d.text((w // 2, y), t, fill=(255, 255, 255), font=_font(size), anchor="mm",
                   stroke_width=max(1, size // 12), stroke_fill=(0, 0, 0))  # fmt: skip
        return out

    return fn


def logo(frac: float = 0.15, corner: str = "br") -> Edit:
    """An opaque badge (a coloured disc with a letter, like an emoji or channel logo)."""

    def fn(im: Image.Image, _: Image.Image) -> Image.Image:
        out = im.copy()
        w, h = out.size
        s = max(8, round(min(w, h) * frac))
        m = s // 4
        x = w - s - m if "r" in corner else m
        y = h - s - m if "b" in corner else m
        d = ImageDraw.Draw(out)
        d.ellipse(
            (x, y, x + s, y + s), fill=(250, 200, 30), outline=(90, 60, 0), width=max(1, s // 20)
        )
        d.text((x + s // 2, y + s // 2), "R", fill=(20, 20, 20), font=_font(s // 2), anchor="mm")
        return out

    return fn


def watermark(text: str = "@some_account", alpha: int = 110) -> Edit:
    """Semi-transparent white text across the middle."""

    def fn(im: Image.Image, _: Image.Image) -> Image.Image:
        base = im.convert("RGBA")
        layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
        d = ImageDraw.Draw(layer)
        size = max(10, base.width // 10)
        d.text((base.width // 2, base.height // 2), text, fill=(255, 255, 255, alpha),
               font=_font(size), anchor="mm")  # fmt: skip
        return Image.alpha_composite(base, layer).convert("RGB")

    return fn


def screenshot(dark: bool = False, width: int = 750) -> Edit:
    """A phone screenshot of a feed post: status bar, header, the photo, buttons, caption."""

    def fn(im: Image.Image, _: Image.Image) -> Image.Image:
        bgc, fgc = ((0, 0, 0), (235, 235, 235)) if dark else ((255, 255, 255), (20, 20, 20))
        cw, ch = width, round(width * 2.16)
        canvas = Image.new("RGB", (cw, ch), bgc)
        d = ImageDraw.Draw(canvas)
        u = cw // 25
        d.text((u, u // 2), "9:41", fill=fgc, font=_font(u))
        d.rectangle((cw - 4 * u, u // 2, cw - u, u + u // 2), outline=fgc, width=2)
        top = 3 * u
        d.ellipse((u, top, 3 * u, top + 2 * u), fill=(200, 60, 120))
        d.text((4 * u, top + u // 3), "someone.posts", fill=fgc, font=_font(u))
        top += 3 * u
        fg = im.resize((cw, round(im.height * cw / im.width)), Image.Resampling.LANCZOS)
        canvas.paste(fg, (0, top))
        y = top + fg.height + u
        for i in range(4):
            d.ellipse((u + i * 3 * u, y, u + i * 3 * u + 2 * u, y + 2 * u), outline=fgc, width=3)
        y += 3 * u
        d.text((u, y), "1,234 likes", fill=fgc, font=_font(u))
        d.text((u, y + 2 * u), "someone.posts look at this #photo", fill=fgc, font=_font(u))
        return canvas

    return fn


def collage(side: str = "right", gutter: float = 0.0) -> Edit:
    """The photo next to an unrelated one, both at the same height (or width)."""

    def fn(im: Image.Image, other: Image.Image) -> Image.Image:
        w, h = im.size
        g = round(min(w, h) * gutter)
        if side in ("right", "left"):
            o = other.resize((max(8, round(other.width * h / other.height)), h))
            canvas = Image.new("RGB", (w + o.width + g, h), (255, 255, 255))
            a, b = (im, o) if side == "right" else (o, im)
            canvas.paste(a, (0, 0))
            canvas.paste(b, (a.width + g, 0))
            return canvas
        o = other.resize((w, max(8, round(other.height * w / other.width))))
        canvas = Image.new("RGB", (w, h + o.height + g), (255, 255, 255))
        canvas.paste(im, (0, 0))
        canvas.paste(o, (0, h + g))
        return canvas

    return fn


def chain(*fns: Edit) -> Edit:
    def fn(im: Image.Image, other: Image.Image) -> Image.Image:
        for f in fns:
            im = f(im, other)
        return im

    return fn


WHITE, BLACK = (255, 255, 255), (0, 0, 0)
T = Image.Transpose

EDITS: list[tuple[str, Edit]] = [
    ("jpeg_q90", jpeg(90)), ("jpeg_q50", jpeg(50)), ("jpeg_q20", jpeg(20)),
    ("resize_50", scale(0.5)), ("resize_25", scale(0.25)), ("resize_256px", long_side(256)),
    ("crop_c5", crop(0.05)), ("crop_c10", crop(0.10)), ("crop_c20", crop(0.20)),
    ("crop_c30", crop(0.30)), ("crop_r5", crop(0.05, "right")), ("crop_r10", crop(0.10, "right")),
    ("crop_r20", crop(0.20, "right")), ("crop_r30", crop(0.30, "right")),
    ("pad_white10", pad(0.10, WHITE)), ("pad_black25", pad(0.25, BLACK)),
    ("pad_white25", pad(0.25, WHITE)), ("letterbox_16x9", letterbox(16 / 9)),
    ("letterbox_9x16", letterbox(9 / 16)), ("story_blur_bg", story()),
    ("rot90", rotate(90)), ("rot180", rotate(180)), ("rot270", rotate(270)),
    ("rot2", rotate(2)), ("rot5", rotate(5)), ("rot10", rotate(10)),
    ("rot5_cropped", rotate_crop(5)), ("flip_h", transpose(T.FLIP_LEFT_RIGHT)),
    ("flip_v", transpose(T.FLIP_TOP_BOTTOM)), ("grayscale", grayscale),
    ("bright+30", enhance("brightness", 1.3)), ("bright-30", enhance("brightness", 0.7)),
    ("contrast+30", enhance("contrast", 1.3)), ("contrast-30", enhance("contrast", 0.7)),
    ("satur+30", enhance("saturation", 1.3)), ("satur-30", enhance("saturation", 0.7)),
    ("gamma0.6", gamma(0.6)), ("gamma1.6", gamma(1.6)), ("blur", blur(0.004)),
    ("noise", noise(12)), ("sharpen", sharpen), ("caption_bar", caption_bar()),
    ("logo_corner", logo()), ("watermark_text", watermark()),
    ("screenshot_light", screenshot()), ("screenshot_dark", screenshot(dark=True)),
    ("meme_bars", meme(bars=True)), ("meme_overlay", meme(bars=False)),
    ("collage_2x1", collage("right")), ("collage_1x2_gutter", collage("below", 0.03)),
    ("invert", invert),
    ("combo_crop5_jpeg50_half", chain(crop(0.05), jpeg(50), scale(0.5))),
    ("combo_pad_jpeg40", chain(pad(0.12, BLACK), scale(0.7), jpeg(40))),
    ("combo_flip_caption", chain(transpose(T.FLIP_LEFT_RIGHT), caption_bar(where="top"))),
    ("combo_shot_jpeg60", chain(screenshot(), jpeg(60))),
]  # fmt: skip
