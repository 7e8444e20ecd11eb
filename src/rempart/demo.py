"""``make demo``: bank generated images, scan transformed copies and unrelated images,
print what matched at what distance, then serve the API with a fresh demo key.

The "known" images are synthetic pictures generated here: never real abuse material.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from PIL.PngImagePlugin import PngInfo
from rich.console import Console
from rich.table import Table

from rempart.banks.schemas import BankCreate, ContentIn
from rempart.context import Rempart
from rempart.errors import NotFound

console = Console()
BANK = "DEMO_KNOWN_CONTENT"
NEGATIVE = "DEMO_FALSE_POSITIVES"


def synthetic_photo(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A photo-like picture (waves, discs, noise) that PDQ hashes with high quality."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for c in range(3):
        fx, fy = rng.uniform(0.5, 4, 2)
        img[..., c] = 127 + 100 * np.sin(x / w * fx * 6.28 + rng.uniform(0, 6.28)) * np.cos(
            y / h * fy * 6.28
        )
    for _ in range(14):
        cx, cy = rng.integers(0, w), rng.integers(0, h)
        r = rng.integers(15, min(w, h) // 4)
        img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.integers(0, 255, 3)
    img += rng.normal(0, 5, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def _jpeg(img: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _crop(img: Image.Image) -> Image.Image:
    """A 1% border trimmed off each side; PDQ does not survive much larger crops."""
    w, h = img.size
    return img.crop((w // 100, h // 100, w - w // 100, h - h // 100))


TRANSFORMS: dict[str, Callable[[Image.Image], bytes]] = {
    "re-encoded JPEG q40": lambda im: _jpeg(im, 40),
    "resized to 50%": lambda im: _jpeg(im.resize((im.width // 2, im.height // 2))),
    "mirrored": lambda im: _jpeg(ImageOps.mirror(im)),
    "rotated 90°": lambda im: _jpeg(im.rotate(90, expand=True)),
    "border cropped 1%": lambda im: _jpeg(_crop(im)),
    "PNG copy": _png,
}


def prepare(rempart: Rempart, folder: Path) -> list[tuple[Path, str]]:
    """Create the demo banks and the folder of files to scan; returns (file, what it is)."""
    banks = rempart.banks
    for name in (BANK, NEGATIVE):
        with contextlib.suppress(NotFound):
            banks.delete_bank(name)
    banks.create_bank(
        BankCreate(
            name=BANK,
            description="Synthetic stand-ins for a list of known illegal images",
            dsa_category="STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
            specifications=["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"],
            source="internal",
            labels=["demo"],
        )
    )
    banks.create_bank(
        BankCreate(
            name=NEGATIVE,
            description="Known false positives: hits here suppress other hits",
            negative=True,
            source="internal",
            labels=["demo"],
        )
    )
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if old.is_file():
            old.unlink()
    files: list[tuple[Path, str]] = []
    for i in range(4):
        original = synthetic_photo(100 + i)
        sig = rempart.scanner.hash(_jpeg(original, 95))
        signals = rempart.scanner.describe(sig).signals
        banks.add_content(
            BANK,
            ContentIn(
                signals=signals, note=f"demo original #{i}", provenance="rempart demo generator"
            ),
        )
        for j, (label, fn) in enumerate(TRANSFORMS.items()):
            if (i + j) % 2:  # a varied half of the transforms per image keeps the table short
                continue
            path = folder / f"known{i}_{j}.{'png' if label == 'PNG copy' else 'jpg'}"
            path.write_bytes(fn(original))
            files.append((path, f"known #{i}, {label}"))
    whitelisted = synthetic_photo(300)
    wl_sig = rempart.scanner.describe(rempart.scanner.hash(_jpeg(whitelisted, 95))).signals
    banks.add_content(BANK, ContentIn(signals=wl_sig, note="matched by mistake"))
    banks.add_content(NEGATIVE, ContentIn(signals=wl_sig, note="reviewed: benign"))
    path = folder / "reviewed_benign.jpg"
    path.write_bytes(_jpeg(whitelisted, 70))
    files.append((path, "in both banks: negative bank wins"))
    for k in range(3):
        path = folder / f"unrelated{k}.jpg"
        path.write_bytes(_jpeg(synthetic_photo(900 + k)))
        files.append((path, "unrelated image"))
    path = folder / "generated.png"
    path.write_bytes(_generated_png(synthetic_photo(950)))
    files.append((path, "Stable Diffusion output (A1111)"))
    return files


def _generated_png(img: Image.Image) -> bytes:
    """A PNG as AUTOMATIC1111 writes it: the generation parameters in a ``parameters`` chunk."""
    info = PngInfo()
    info.add_text(
        "parameters",
        "a lighthouse at dusk, oil painting\nNegative prompt: blurry\n"
        "Steps: 25, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 800x600, "
        "Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Version: v1.10.1",
    )
    buf = io.BytesIO()
    img.save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


POSTS = (
    "Lovely walk along the river this morning, the herons are back!",
    "Les chambres à gaz n'ont jamais existé, la Shoah est une invention.",
    "Au Mémorial de la Shoah, les élèves ont lu les noms des enfants déportés.",
    "I know where you live. Tomorrow night you're dead.",
)


def _text_table(rempart: Rempart) -> Table:
    """The text policy on a few posts: what it flags, and what it leaves alone."""
    table = Table(title="Text policy (multilingual-e5-small + trained classifiers)")
    for col in ("lang", "post", "flagged", "top score"):
        table.add_column(col)
    for post in POSTS:
        res = rempart.scanner.scan_text(post)
        report = res.text
        assert report is not None
        top = max(report.scores, key=lambda c: report.scores[c])
        flagged = ", ".join(report.flagged) or "[green]nothing[/]"
        table.add_row(report.language, post, flagged, f"{top} {report.scores[top]:.2f}")
    return table


def run_demo(*, host: str = "127.0.0.1", port: int = 8000, serve: bool = True) -> None:
    """The whole demo; ``serve=False`` stops after the table (used by tests)."""
    rempart = Rempart.open(load_index=False)
    folder = rempart.settings.home / "demo" / "scan"
    with console.status("generating demo images and banks ..."):
        files = prepare(rempart, folder)
    rempart.matcher.load()
    table = Table(title=f"Scan of {folder}", show_lines=False)
    for col in ("file", "what it is", "result", "bank", "distance", "orientation", "AI?"):
        table.add_column(col)
    with console.status("scanning (hashes, provenance, image classifiers) ..."):
        for path, what in files:
            res = rempart.scanner.scan(path.read_bytes())
            p = res.provenance
            ai = (p.ai_generated + (f": {p.generator}" if p.generator else "")) if p else ""
            if res.matches:
                m = res.matches[0]
                row = ("[red]MATCH[/]", m.bank, str(m.distance), m.orientation)
            elif res.suppressed:
                hit = res.negative_hits[0]
                row = ("[yellow]suppressed[/]", hit.bank, str(hit.distance), "")
            else:
                row = ("[green]no match[/]", "", "", "")
            table.add_row(path.name, what, *row, ai)
    console.print(table)
    with console.status("loading the text model ..."):
        console.print(_text_table(rempart))
    _, secret = rempart.keys.create("demo", ["admin"])
    rempart.matcher.save_snapshot()
    rempart.close()
    url = f"http://{host}:{port}"
    console.print(f"\nAPI docs:   {url}/docs\nDemo API key (admin): [bold]{secret}[/]")
    console.print(
        f"Try:  curl -H 'X-API-Key: {secret}' -F photo=@{folder / 'known0_0.jpg'} {url}/m/lookup"
    )
    if serve:
        import uvicorn

        from rempart.api.app import create_app

        console.print(f"Serving on {url} (Ctrl-C to stop)")
        uvicorn.run(create_app(), host=host, port=port, log_level="warning")
