"""C2PA manifests through c2pa-python: read and validate them, and sign generated images.

The reader never touches the network (no remote manifests, no OCSP), so a file cannot make the
server fetch anything. Trust comes only from the configured anchors: without them a correctly
signed manifest is "Valid", with its signer's CA among them it is "Trusted".
"""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path
from typing import Any

import c2pa  # type: ignore[import-untyped]

from rempart import __version__
from rempart.errors import RempartError
from rempart.signals.provenance.schemas import C2paInfo, C2paState
from rempart.signals.provenance.sourcetype import uri

_JUMBF_C2PA = b"jumb"
_STATES: dict[str, C2paState] = {"Trusted": "Trusted", "Valid": "Valid", "Invalid": "Invalid"}
_MAX_DEPTH = 12
SIGNABLE = {
    "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "tiff": "image/tiff",
    "gif": "image/gif", "avif": "image/avif", "heic": "image/heic", "heif": "image/heif",
}  # fmt: skip


class ProvenanceError(RempartError):
    """Provenance signing cannot be done: not configured, unusable credentials, bad input."""

    status = 503
    code = "c2pa_signing_unavailable"


def _base_settings() -> dict[str, Any]:
    return {
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
        "builder": {"thumbnail": {"enabled": False}},
    }


class C2pa:
    """One c2pa-python context (settings, trust anchors) shared by reads and signatures."""

    def __init__(self, trust_anchors: Path | None) -> None:
        config = _base_settings()
        if trust_anchors is not None:
            try:
                pem = trust_anchors.read_text("ascii")
            except (OSError, UnicodeDecodeError) as exc:
                raise ProvenanceError(
                    f"The C2PA trust anchors file {trust_anchors} cannot be read ({exc}); "
                    "set REMPART_C2PA_TRUST_ANCHORS to a PEM file of CA certificates.",
                    code="c2pa_trust_anchors",
                ) from exc
            if "-----BEGIN CERTIFICATE-----" not in pem:
                raise ProvenanceError(
                    f"The C2PA trust anchors file {trust_anchors} holds no PEM certificate.",
                    code="c2pa_trust_anchors",
                )
            config["trust"] = {"trust_anchors": pem}
        self.trusting = trust_anchors is not None
        self._lock = threading.Lock()
        try:
            self._context = c2pa.Context(settings=c2pa.Settings.from_dict(config))
        except c2pa.C2paError as exc:
            raise ProvenanceError(
                f"The C2PA settings were refused ({exc}); check REMPART_C2PA_TRUST_ANCHORS.",
                code="c2pa_trust_anchors",
            ) from exc

    def read(self, data: bytes, mime: str) -> C2paInfo | None:
        """The manifest store's summary, or None when the file carries no manifest."""
        with self._lock:
            try:
                reader = c2pa.Reader.try_create(mime, io.BytesIO(data), None, self._context)
            except Exception as exc:  # c2pa.C2paError: not parseable, or a broken manifest
                if _JUMBF_C2PA in data and b"c2pa" in data:
                    return C2paInfo(state="Invalid", failures=[f"manifest.unreadable: {exc}"[:300]])
                return None
            if reader is None:
                return None
            try:
                state = reader.get_validation_state()
                store = json.loads(reader.json())
            except Exception as exc:
                return C2paInfo(state="Invalid", failures=[f"manifest.unreadable: {exc}"[:300]])
            finally:
                reader.close()
        return summarise(store, _STATES.get(str(state), "Invalid"))

    def sign(self, data: bytes, fmt: str, manifest: dict[str, Any], signer: Any) -> bytes:
        """Embed and sign ``manifest`` into ``data`` (sniffed format ``fmt``)."""
        out = io.BytesIO()
        try:
            with self._lock, c2pa.Builder(manifest, self._context) as builder:
                builder.sign(signer, SIGNABLE[fmt], io.BytesIO(data), out)
        except (c2pa.C2paError.Signature, c2pa.C2paError.Verify) as exc:
            raise ProvenanceError(
                f"C2PA signing failed ({exc}); check that REMPART_C2PA_SIGN_KEY matches the "
                "certificate and that the certificate may sign C2PA manifests.",
                code="c2pa_signing_credentials",
            ) from exc
        except Exception as exc:  # c2pa.C2paError's other kinds: the asset could not be parsed
            raise ProvenanceError(
                f"The {fmt.upper()} image could not be signed ({exc}); it may be damaged. "
                "Export it again.",
                code="c2pa_signing_failed",
                status=422,
            ) from exc
        return out.getvalue()


def _walk_source_types(node: Any, out: list[str], depth: int = 0) -> None:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if str(key).lower().endswith("digitalsourcetype") and isinstance(value, str):
                if value not in out:
                    out.append(value[:300])
            else:
                _walk_source_types(value, out, depth + 1)
    elif isinstance(node, list):
        for item in node[:1000]:
            _walk_source_types(item, out, depth + 1)


def _agent(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        version = value.get("version")
        return f"{value['name']} {version}".strip() if isinstance(version, str) else value["name"]
    return value if isinstance(value, str) else None


def claim_generator(manifest: dict[str, Any]) -> str | None:
    """``name/version`` of the claim generator (C2PA v2 info, or the v1 string)."""
    info = manifest.get("claim_generator_info")
    if isinstance(info, list) and info and isinstance(info[0], dict):
        name, version = info[0].get("name"), info[0].get("version")
        if isinstance(name, str):
            return f"{name}/{version}" if isinstance(version, str) else name
    value = manifest.get("claim_generator")
    return value[:300] if isinstance(value, str) else None


def summarise(store: dict[str, Any], state: C2paState) -> C2paInfo:
    """C2paInfo from the reader's JSON manifest store and validation state."""
    found = store.get("manifests")
    manifests: dict[str, Any] = found if isinstance(found, dict) else {}
    label = store.get("active_manifest") if isinstance(store.get("active_manifest"), str) else None
    active = manifests.get(label, {}) if label else {}
    source_types: list[str] = []
    actions: list[str] = []
    agents: list[str] = []
    # the active manifest first, so its claims lead; ingredients' manifests after
    for key in [label, *[k for k in manifests if k != label]]:
        manifest = manifests.get(key) if key else None
        if not isinstance(manifest, dict):
            continue
        for assertion in manifest.get("assertions") or []:
            if not isinstance(assertion, dict):
                continue
            data = assertion.get("data")
            _walk_source_types(data, source_types)
            if str(assertion.get("label", "")).startswith("c2pa.actions") and isinstance(
                data, dict
            ):
                for action in data.get("actions") or []:
                    if isinstance(action, dict) and isinstance(action.get("action"), str):
                        actions.append(action["action"][:100])
                        agent = _agent(action.get("softwareAgent"))
                        if agent and agent not in agents:
                            agents.append(agent[:200])
    signature = active.get("signature_info") if isinstance(active, dict) else None
    signature = signature if isinstance(signature, dict) else {}
    failures = []
    results = store.get("validation_results")
    active_results = results.get("activeManifest") if isinstance(results, dict) else None
    if isinstance(active_results, dict):
        failures = [f.get("code", "?") for f in active_results.get("failure") or []]
    elif isinstance(store.get("validation_status"), list):
        failures = [s.get("code", "?") for s in store["validation_status"] if isinstance(s, dict)]
    return C2paInfo(
        state=state,
        active_manifest=label,
        claim_generator=claim_generator(active) if isinstance(active, dict) else None,
        title=active.get("title") if isinstance(active.get("title"), str) else None,
        signer=signature.get("common_name"),
        issuer=signature.get("issuer"),
        signed_at=signature.get("time"),
        manifests=len(manifests),
        digital_source_types=source_types,
        actions=actions[:50],
        failures=[str(f)[:200] for f in failures][:50],
        software_agents=agents[:10],
    )


def build_manifest(
    digital_source_type: str, title: str | None, generator: str | None
) -> dict[str, Any]:
    """The manifest Rempart signs: one ``c2pa.created`` action with the digital source type."""
    action: dict[str, Any] = {
        "action": "c2pa.created",
        "digitalSourceType": uri(digital_source_type),
    }
    if generator:
        action["softwareAgent"] = {"name": generator[:200]}
    manifest: dict[str, Any] = {
        "claim_generator_info": [{"name": "Rempart", "version": __version__}],
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [action]}}],
    }
    if title:
        manifest["title"] = title[:500]
    return manifest


def load_signer(alg: str, cert: Path | None, key: Path | None, tsa_url: str | None) -> Any:
    """A c2pa Signer from the configured PEM files; ProvenanceError says what to fix."""
    if cert is None or key is None:
        raise ProvenanceError(
            "C2PA signing is not configured: set REMPART_C2PA_SIGN_CERT (PEM chain, leaf first) "
            "and REMPART_C2PA_SIGN_KEY (its PEM private key).",
            code="c2pa_signing_unconfigured",
        )
    try:
        cert_pem, key_pem = cert.read_bytes(), key.read_bytes()
    except OSError as exc:
        raise ProvenanceError(
            f"The C2PA signing certificate or key cannot be read: {exc}.",
            code="c2pa_signing_credentials",
        ) from exc
    if b"-----BEGIN CERTIFICATE-----" not in cert_pem or b"PRIVATE KEY-----" not in key_pem:
        raise ProvenanceError(
            "REMPART_C2PA_SIGN_CERT must be a PEM certificate chain and REMPART_C2PA_SIGN_KEY a "
            "PEM private key.",
            code="c2pa_signing_credentials",
        )
    try:
        return c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg.lower(), cert_pem, key_pem, tsa_url))
    except (c2pa.C2paError, ValueError, TypeError) as exc:
        raise ProvenanceError(
            f"The C2PA signing credentials were refused ({exc}); check the algorithm "
            f"({alg}), that the key matches the certificate, and the certificate's usage.",
            code="c2pa_signing_credentials",
        ) from exc
