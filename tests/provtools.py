"""Real files with provenance, made in the tests: a throwaway C2PA CA, signed images, generator
metadata, XMP digital source types, the SD watermark, and clean photos with ordinary EXIF.

Everything is built from scikit-image's photos with the real tools (c2pa-python, Pillow,
invisible-watermark's encoder), never from hand-written fixtures, so that what the reader sees
is what the wild would give it. Reused by the genai tests.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
import struct
import zlib
from functools import cache
from pathlib import Path
from typing import Any

import c2pa
import numpy as np
import skimage.data
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
CLEAN_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera")

# ---- images ---------------------------------------------------------------------------------


@cache
def _photo(name: str) -> Image.Image:
    arr = getattr(skimage.data, name)()
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    return Image.fromarray(arr[:, :, :3]).convert("RGB")


def photo(name: str = "astronaut") -> Image.Image:
    """A real photo from scikit-image (astronaut, coffee, chelsea, rocket, camera...)."""
    return _photo(name).copy()


def encode(img: Image.Image, fmt: str = "PNG", **kwargs: Any) -> bytes:
    """Pillow-encode an image (fmt JPEG/PNG/WEBP/TIFF...)."""
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def camera_exif(
    make: str = "Canon", model: str = "Canon EOS 5D Mark IV", software: str = "GIMP 2.10.36"
) -> Image.Exif:
    """Ordinary EXIF of a camera photo edited in desktop software."""
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0110] = model
    exif[0x0131] = software
    exif[0x0132] = "2024:05:01 10:00:00"
    return exif


def clean_photo(
    name: str, fmt: str = "JPEG", software: str = "GIMP 2.10.36", **kwargs: Any
) -> bytes:
    """A clean photo with camera EXIF (Make Canon etc.), as JPEG or PNG."""
    opts: dict[str, Any] = {"exif": camera_exif(software=software)}
    if fmt == "JPEG":
        opts["quality"] = 90
    opts.update(kwargs)
    return encode(photo(name), fmt, **opts)


def reencode_jpeg(data: bytes, quality: int = 90) -> bytes:
    """What an upload pipeline does: decode and save again as an ordinary 4:2:0 JPEG."""
    with Image.open(io.BytesIO(data)) as im:
        return encode(im.convert("RGB"), "JPEG", quality=quality)


# ---- PNG text and XMP ----------------------------------------------------------------------


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def png_with_chunks(chunks: list[tuple[bytes, bytes]], name: str = "astronaut") -> bytes:
    """A PNG of a photo with extra raw chunks inserted right after IHDR."""
    data = encode(photo(name), "PNG")
    at = 8 + 8 + 13 + 4  # signature + IHDR chunk
    return data[:at] + b"".join(_chunk(t, b) for t, b in chunks) + data[at:]


def text_chunk(key: str, value: str, kind: str = "tEXt") -> tuple[bytes, bytes]:
    """A PNG tEXt, zTXt or iTXt chunk as (type, body)."""
    k = key.encode("latin-1")
    if kind == "tEXt":
        return b"tEXt", k + b"\x00" + value.encode("latin-1")
    if kind == "zTXt":
        return b"zTXt", k + b"\x00\x00" + zlib.compress(value.encode("latin-1"))
    return b"iTXt", k + b"\x00\x00\x00\x00\x00" + value.encode("utf-8")


A1111 = (
    "a photo of an astronaut riding a horse, highly detailed\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234567, Size: 512x512, "
    "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.7.0"
)


def png_with_a1111_parameters(name: str = "astronaut", text: str = A1111) -> bytes:
    """A PNG as AUTOMATIC1111's web UI saves it: a ``parameters`` tEXt chunk."""
    return png_with_chunks([text_chunk("parameters", text)], name)


def comfyui_prompt() -> dict[str, Any]:
    """A small ComfyUI API-format prompt graph (checkpoint, text encoders, sampler, save)."""
    return {
        "3": {
            "class_type": "KSampler",
            "inputs": {"seed": 5, "steps": 20, "cfg": 8, "model": ["4", 0], "positive": ["6", 0]},
        },
        "4": {
            "class_type": "CheckpointLoaderSimple",
            "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"},
        },
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat", "clip": ["4", 1]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI"}},
    }


def png_with_comfyui(name: str = "astronaut") -> bytes:
    """A PNG as ComfyUI saves it: ``prompt`` and ``workflow`` JSON text chunks."""
    workflow = {
        "last_node_id": 9,
        "nodes": [{"id": 3, "type": "KSampler"}, {"id": 4, "type": "CheckpointLoaderSimple"}],
        "links": [],
    }
    return png_with_chunks(
        [
            text_chunk("prompt", json.dumps(comfyui_prompt())),
            text_chunk("workflow", json.dumps(workflow)),
        ],
        name,
    )


def png_with_invokeai(name: str = "astronaut") -> bytes:
    """A PNG as InvokeAI 3+ saves it: ``invokeai_metadata`` JSON."""
    meta = {
        "generation_mode": "txt2img",
        "positive_prompt": "a cat",
        "steps": 30,
        "model": {"name": "stable-diffusion-v1-5", "base": "sd-1"},
    }
    return png_with_chunks([text_chunk("invokeai_metadata", json.dumps(meta))], name)


def png_with_novelai(name: str = "astronaut") -> bytes:
    """A PNG as NovelAI saves it: Software, Source and a Comment JSON."""
    comment = {"prompt": "1girl", "steps": 28, "sampler": "k_euler", "seed": 1}
    return png_with_chunks(
        [
            text_chunk("Software", "NovelAI"),
            text_chunk("Source", "NovelAI Diffusion V3 4BDE2A90"),
            text_chunk("Comment", json.dumps(comment)),
        ],
        name,
    )


def xmp_packet(term: str | None = None, *, element: bool = False, extra: str = "") -> bytes:
    """An XMP packet with Iptc4xmpExt:DigitalSourceType (attribute or element form)."""
    value = term if term is None or term.startswith("http") else IPTC + term
    attr = f' Iptc4xmpExt:DigitalSourceType="{value}"' if value and not element else ""
    elem = (
        f"<Iptc4xmpExt:DigitalSourceType>{value}</Iptc4xmpExt:DigitalSourceType>"
        if value and element
        else ""
    )
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"'
        f' xmlns:xmp="http://ns.adobe.com/xap/1.0/"{attr}>{elem}{extra}</rdf:Description>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def jpeg_with_xmp(packet: bytes, name: str = "astronaut") -> bytes:
    """A JPEG photo with an XMP APP1 segment right after SOI."""
    data = encode(photo(name), "JPEG", quality=90)
    body = b"http://ns.adobe.com/xap/1.0/\x00" + packet
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + data[2:]


def jpeg_with_xmp_dst(term: str, name: str = "astronaut", *, element: bool = False) -> bytes:
    """A JPEG whose XMP declares the IPTC digital source type ``term``."""
    return jpeg_with_xmp(xmp_packet(term, element=element), name)


def png_with_xmp_dst(term: str, name: str = "astronaut") -> bytes:
    """A PNG whose iTXt XML:com.adobe.xmp declares the digital source type ``term``."""
    return png_with_chunks(
        [text_chunk("XML:com.adobe.xmp", xmp_packet(term).decode(), "iTXt")], name
    )


def webp_with_xmp_dst(term: str, name: str = "astronaut") -> bytes:
    """A WebP whose XMP chunk declares the digital source type ``term`` (Pillow writes it)."""
    return encode(photo(name), "WEBP", quality=90, xmp=xmp_packet(term))


def jpeg_with_exif(name: str = "astronaut", **tags: Any) -> bytes:
    """A JPEG with the given EXIF IFD0 tags (e.g. {0x0131: "Midjourney"})."""
    exif = Image.Exif()
    for tag, value in tags.items():
        exif[int(tag.removeprefix("t"), 16)] = value
    return encode(photo(name), "JPEG", quality=90, exif=exif)


def jpeg_with_a1111_usercomment(name: str = "astronaut") -> bytes:
    """A JPEG as A1111 saves one: parameters in EXIF UserComment (UNICODE, UTF-16BE)."""
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + A1111.encode("utf-16-be")
    return encode(photo(name), "JPEG", quality=90, exif=exif)


# ---- watermark -------------------------------------------------------------------------------


@cache
def _embed_max_dct() -> Any:
    """imwatermark's dwtDct embedder, loaded by file: its package import pulls in torch."""
    spec = importlib.util.find_spec("imwatermark")
    assert spec is not None and spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / "maxDct.py"
    module_spec = importlib.util.spec_from_file_location("_imwatermark_maxdct", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.EmbedMaxDct


SD1_BITS = [int(b) for b in np.unpackbits(np.frombuffer(b"StableDiffusionV1", dtype=np.uint8))]
SDXL_BITS = [int(b) for b in bin(0b101100111110110010010000011110111011000110011110)[2:]]


def watermark_rgb(rgb: np.ndarray, kind: str = "sd1") -> np.ndarray:
    """Embed the SD watermark as the generators do (``WatermarkEncoder.encode(.., 'dwtDct')``).

    sd1: ``StableDiffusionV1`` in BGR order (CompVis scripts); sdxl: the 48-bit SDXL pattern
    on the RGB array as diffusers' StableDiffusionXLWatermarker does.
    """
    embed = _embed_max_dct()
    if kind == "sd1":
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        return np.ascontiguousarray(embed(SD1_BITS, wmLen=136).encode(bgr)[:, :, ::-1])
    return np.ascontiguousarray(embed(SDXL_BITS, wmLen=48).encode(np.ascontiguousarray(rgb)))


def reference_decode(rgb: np.ndarray, bits: int) -> list[bool]:
    """imwatermark's own dwtDct decoder on BGR pixels (for cross-checking ours)."""
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    return [bool(b) for b in _embed_max_dct()(watermarks=[], wmLen=bits).decode(bgr)]


def watermarked_png(name: str = "astronaut", kind: str = "sd1") -> bytes:
    """A PNG carrying the Stable Diffusion invisible watermark, as SD's scripts save it."""
    marked = watermark_rgb(np.asarray(photo(name)), kind)
    return encode(Image.fromarray(marked), "PNG")


# ---- C2PA ------------------------------------------------------------------------------------


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Rempart tests"),
        ]
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_ca(cn: str = "Rempart test CA") -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A throwaway self-signed root CA (P-256)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_leaf(
    ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, cn: str = "Rempart test signer"
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """An ES256 end-entity certificate c2pa-rs accepts: digitalSignature, EKU emailProtection.

    c2pa-rs requires an EKU from its allowed list (emailProtection, documentSigning,
    timeStamping, OCSPSigning, and C2PA's own), no CA flag, and an AKI linking to the issuer.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def make_signing_identity(
    tmp_path: Path, cn: str = "Rempart test signer"
) -> tuple[Path, Path, Path]:
    """Write a throwaway CA and an ES256 signer: (chain PEM leaf first, key PEM, CA PEM)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    ca, ca_key = make_ca()
    leaf, key = make_leaf(ca, ca_key, cn)
    chain, key_path, ca_path = tmp_path / "chain.pem", tmp_path / "signer.key", tmp_path / "ca.pem"
    chain.write_bytes(_pem(leaf) + _pem(ca))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ca_path.write_bytes(_pem(ca))
    return chain, key_path, ca_path


MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff"}


def c2pa_signed(
    data: bytes,
    mime: str,
    chain: Path,
    key: Path,
    *,
    source_type: str = "trainedAlgorithmicMedia",
    claim_generator: str = "TestGen",
    software_agent: str | None = None,
    title: str | None = "test image",
) -> bytes:
    """``data`` signed with c2pa-python directly (independent of Rempart's signer)."""
    action: dict[str, Any] = {"action": "c2pa.created", "digitalSourceType": IPTC + source_type}
    if software_agent:
        action["softwareAgent"] = {"name": software_agent}
    manifest: dict[str, Any] = {
        "claim_generator_info": [{"name": claim_generator, "version": "1.0"}],
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [action]}}],
    }
    if title:
        manifest["title"] = title
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(b"es256", chain.read_bytes(), key.read_bytes(), None)
    )
    out = io.BytesIO()
    with c2pa.Builder(manifest) as builder:
        builder.sign(signer, mime, io.BytesIO(data), out)
    signer.close()
    return out.getvalue()


def tamper_pixels(data: bytes) -> bytes:
    """Flip a few bytes in the middle of the pixel data (JPEG scan or PNG IDAT)."""
    buf = bytearray(data)
    if data.startswith(b"\x89PNG"):
        at = data.find(b"IDAT")
        size = struct.unpack(">I", data[at - 4 : at])[0]
        target = at + 4 + size // 2
    else:
        sos = data.rfind(b"\xff\xda")  # the last scan: after every metadata segment
        target = sos + (len(data) - sos) // 2
    for i in range(target, target + 4):
        buf[i] ^= 0x55
    if buf[target - 1] == 0xFF or any(buf[i] == 0xFF for i in range(target, target + 4)):
        for i in range(target, target + 4):  # avoid creating JPEG markers
            buf[i] = 0x11
    return bytes(buf)
