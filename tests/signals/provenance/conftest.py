"""Shared fixtures: one throwaway signing identity and services with and without trust."""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.config import Settings
from rempart.signals.provenance import ProvenanceService
from tests import provtools


@pytest.fixture(scope="session")
def identity(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(chain PEM, key PEM, CA PEM) of a throwaway CA and ES256 signer."""
    return provtools.make_signing_identity(tmp_path_factory.mktemp("c2pa-id"))


@pytest.fixture(scope="session")
def untrusting(identity: tuple[Path, Path, Path]) -> ProvenanceService:
    """A service that can sign but has no trust anchors (manifests at best Valid)."""
    chain, key, _ = identity
    return ProvenanceService(Settings(c2pa_sign_cert=chain, c2pa_sign_key=key))


@pytest.fixture(scope="session")
def trusting(identity: tuple[Path, Path, Path]) -> ProvenanceService:
    """A service whose trust anchors hold the test CA (its manifests are Trusted)."""
    chain, key, ca = identity
    return ProvenanceService(
        Settings(c2pa_trust_anchors=ca, c2pa_sign_cert=chain, c2pa_sign_key=key)
    )
