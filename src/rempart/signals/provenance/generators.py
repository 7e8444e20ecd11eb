"""Recognise the metadata that image generators write, and only theirs.

Two kinds of clue: the structured records that Stable Diffusion front ends put in PNG text
chunks (A1111 ``parameters``, ComfyUI ``prompt``/``workflow``, InvokeAI, NovelAI, Fooocus), and
generator names in software fields (EXIF Software/Make/Model, XMP CreatorTool). Names are
matched as whole product names, never as loose words: "Adobe Photoshop 25.0", "GIMP 2.10" or a
camera model are not generators, and "imagen" (Spanish for image) or "flux" alone are not either.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_JSON = 4 << 20


@dataclass(frozen=True)
class Finding:
    """One generator clue: which field, the generator it names, and what was seen."""

    source: str  # e.g. 'PNG text "parameters"', 'EXIF Software'
    generator: str
    detail: str


# (pattern, generator name). Anchored or multi-word so ordinary software never matches.
_NAMES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), name)
    for p, name in (
        (r"\bstable[ -]?diffusion\b|\bsdxl\b", "Stable Diffusion"),
        (r"\bstability\.?ai\b|\bdreamstudio\b", "Stability AI"),
        (r"\bautomatic1111\b|\bsd[ -]webui\b|\bstable diffusion web ?ui\b", "AUTOMATIC1111"),
        (r"\bsd\.next\b|\bforge\b(?=.*\bwebui\b)", "Stable Diffusion web UI"),
        (r"\bmidjourney\b", "Midjourney"),
        (r"\bdall[-·\s]?e\b|\bdalle[23]?\b", "DALL-E"),
        (r"\bgpt-?4o\b|\bgpt-image\b|\bchatgpt\b|\bsora\b", "OpenAI"),
        (r"\badobe firefly\b|^firefly\b", "Adobe Firefly"),
        (r"\bgoogle imagen\b|^imagen(?: ?\d.*)?$|\bmade with google ai\b|\bsynthid\b",
         "Google Imagen"),
        (r"\bgoogle gemini\b|^gemini\b.*\bimage\b|\bnano banana\b", "Google Gemini"),
        (r"\bideogram\b", "Ideogram"),
        (r"\bflux(?:\.1|1)\b|\bflux[ .-](?:dev|schnell|pro|kontext)\b|\bblack forest labs\b",
         "FLUX"),
        (r"\bnovel ?ai\b", "NovelAI"),
        (r"\bcomfy ?ui\b", "ComfyUI"),
        (r"\binvoke ?ai\b", "InvokeAI"),
        (r"\bleonardo\.?ai\b|\bleonardo ai\b", "Leonardo.Ai"),
        (r"\bfooocus\b", "Fooocus"),
        (r"\bdraw things\b", "Draw Things"),
        (r"\bdiffusionbee\b", "DiffusionBee"),
        (r"\bnightcafe\b", "NightCafe"),
        (r"\bcraiyon\b", "Craiyon"),
        (r"\bbing image creator\b|\bimage creator from (?:microsoft|designer)\b",
         "Bing Image Creator"),
        (r"\bkandinsky\b", "Kandinsky"),
        (r"\bplayground ?(?:ai|v2(?:\.5)?)\b", "Playground"),
        (r"\brunway ?ml\b|\brunway gen-?\d\b", "Runway"),
        (r"\bgrok\b(?=.*\b(?:imagine|image|aurora)\b)|\bxai aurora\b", "Grok (xAI)"),
        (r"\bhunyuan ?image\b|\bqwen[- ]image\b|\bseedream\b|\bkling\b|\brecraft\b",
         "other generative model"),
    )
)  # fmt: skip

_A1111_KEYS = re.compile(
    r"(?:^|,\s*)(Steps|Sampler|CFG scale|Seed|Size|Model hash|Model|Schedule type"
    r"|Denoising strength|Version):\s*([^,\n]{0,200})"
)
_MIDJOURNEY_JOB = re.compile(r"\bJob ID:\s*[0-9a-f]{8}-[0-9a-f]{4}-", re.IGNORECASE)


def name_generator(text: str) -> str | None:
    """The generator a software/tool field names, or None (most software is not one)."""
    value = text.strip()[:500]
    for pattern, name in _NAMES:
        if pattern.search(value):
            return name
    return None


def a1111(text: str) -> dict[str, str] | None:
    """The settings of an A1111-style ``parameters`` text (also Forge, SD.Next), or None.

    The format ends with a line such as ``Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1,
    Size: 512x512, Model: v1-5``; at least Steps and two more such keys must be present.
    """
    for line in reversed(text[:200_000].splitlines()[-40:]):
        keys = {k: v.strip() for k, v in _A1111_KEYS.findall(line)}
        if "Steps" in keys and len(keys) >= 3 and keys["Steps"].isdigit():
            return keys
    return None


def _json(text: str) -> Any:
    if len(text) > MAX_JSON:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _comfy_prompt(value: Any) -> list[str] | None:
    """Class types of a ComfyUI API prompt (node id -> {class_type, inputs}), or None."""
    if not isinstance(value, dict) or not value:
        return None
    nodes = [v for v in value.values() if isinstance(v, dict) and "class_type" in v]
    if len(nodes) * 2 < len(value):
        return None
    return [str(n["class_type"])[:80] for n in nodes]


def _comfy_workflow(value: Any) -> list[str] | None:
    if not isinstance(value, dict) or not isinstance(value.get("nodes"), list):
        return None
    types = [str(n.get("type"))[:80] for n in value["nodes"] if isinstance(n, dict) and "type" in n]
    return types or None


def _checkpoint(prompt: Any) -> str | None:
    if not isinstance(prompt, dict):
        return None
    for node in prompt.values():
        if isinstance(node, dict) and isinstance(node.get("inputs"), dict):
            for key in ("ckpt_name", "unet_name", "model_name"):
                if isinstance(node["inputs"].get(key), str):
                    return str(node["inputs"][key])[:120]
    return None


def png_text(chunks: list[tuple[str, str]]) -> list[Finding]:
    """Generator findings in a PNG's text chunks (keyword, text)."""
    out: list[Finding] = []
    texts = {k: v for k, v in chunks}
    lowered = {k.lower(): v for k, v in chunks}
    params = texts.get("parameters")
    if params is not None:
        keys = a1111(params)
        data = _json(params) if keys is None and params.lstrip().startswith("{") else None
        if keys is not None:
            model = keys.get("Model") or keys.get("Model hash")
            extra = f", model {model}" if model else ""
            version = f", version {keys['Version']}" if "Version" in keys else ""
            out.append(
                Finding(
                    'PNG text "parameters"',
                    "Stable Diffusion (AUTOMATIC1111-style)",
                    f"A1111-style generation parameters: {keys['Steps']} steps, "
                    f"sampler {keys.get('Sampler', '?')}{extra}{version}",
                )
            )
        elif isinstance(data, dict) and {"prompt", "steps"} <= {k.lower() for k in data}:
            out.append(
                Finding(
                    'PNG text "parameters"',
                    "Stable Diffusion (Fooocus-style)",
                    "JSON generation parameters with prompt and steps",
                )
            )
    if "fooocus_scheme" in lowered:
        out.append(Finding('PNG text "fooocus_scheme"', "Fooocus", "Fooocus metadata scheme"))
    prompt = _json(texts["prompt"]) if "prompt" in texts else None
    comfy = _comfy_prompt(prompt)
    workflow = _comfy_workflow(_json(texts["workflow"])) if "workflow" in texts else None
    if comfy or workflow:
        which = " and ".join(k for k, v in (("prompt", comfy), ("workflow", workflow)) if v)
        ckpt = _checkpoint(prompt)
        nodes = len(comfy or workflow or [])
        out.append(
            Finding(
                f'PNG text "{which}"',
                "ComfyUI",
                f"ComfyUI graph with {nodes} nodes" + (f", checkpoint {ckpt}" if ckpt else ""),
            )
        )
    for key in ("invokeai_metadata", "invokeai_graph", "sd-metadata", "dream"):
        if key in lowered:
            data = _json(lowered[key])
            if key == "dream" or isinstance(data, dict):
                model = (
                    data.get("model_name") or data.get("model") if isinstance(data, dict) else None
                )
                label = f", model {str(model)[:120]}" if isinstance(model, (str, dict)) else ""
                out.append(
                    Finding(f'PNG text "{key}"', "InvokeAI", f"InvokeAI generation metadata{label}")
                )
                break
    software = lowered.get("software", "")
    if software.strip().lower().startswith("novelai"):
        source = lowered.get("source", "").strip()[:120]
        comment = _json(lowered.get("comment", ""))
        extra = " with generation settings" if isinstance(comment, dict) else ""
        out.append(
            Finding(
                'PNG text "Software"',
                "NovelAI",
                f"NovelAI{f' ({source})' if source else ''}{extra}",
            )
        )
    elif software and (name := name_generator(software)):
        out.append(Finding('PNG text "Software"', name, f"Software: {software.strip()[:120]}"))
    for key in ("description", "comment"):
        value = lowered.get(key, "")
        if value and not out and _MIDJOURNEY_JOB.search(value):
            out.append(Finding(f'PNG text "{key}"', "Midjourney", "Midjourney job id"))
    for key in ("source", "generator", "creator tool", "model"):
        value = lowered.get(key, "")
        if value and (name := name_generator(value)) and all(f.generator != name for f in out):
            out.append(Finding(f'PNG text "{key}"', name, f"{key}: {value.strip()[:120]}"))
    return out


def text_fields(source: str, text: str) -> list[Finding]:
    """Findings in a free-text field (EXIF UserComment/ImageDescription): only strict formats."""
    keys = a1111(text)
    if keys is not None:
        model = keys.get("Model") or keys.get("Model hash")
        return [
            Finding(
                source,
                "Stable Diffusion (AUTOMATIC1111-style)",
                f"A1111-style generation parameters: {keys['Steps']} steps"
                + (f", model {model}" if model else ""),
            )
        ]
    if _MIDJOURNEY_JOB.search(text):
        return [Finding(source, "Midjourney", "Midjourney job id")]
    return []
