"""Official DSA taxonomies (EU Transparency Database enumerations), loaded from shipped data.

The codes are data, not prose: every part of Rempart validates against this one module.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def _enums() -> dict[str, list[list[str]]]:
    raw = resources.files("rempart.data").joinpath("tdb_enums.json").read_text("utf-8")
    data: dict[str, list[list[str]]] = json.loads(raw)
    return data


def codes(enum: str) -> dict[str, str]:
    """Code → label for one enumeration, e.g. ``codes("STATEMENT_CATEGORIES")``."""
    return {code: label for code, label in _enums()[enum]}


def categories() -> dict[str, str]:
    """DSA statement categories (``STATEMENT_CATEGORY_*``)."""
    return codes("STATEMENT_CATEGORIES")


def specifications() -> dict[str, str]:
    """DSA category specifications (``KEYWORD_*``)."""
    return codes("KEYWORDS")


# EU/EEA codes the Transparency Database accepts in territorial_scope (Greece is GR, not EL):
# EuropeanCountriesService::EUROPEAN_COUNTRY_CODES
EEA_COUNTRIES = frozenset(
    {
        *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"),
        *("IE", "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE"),
        *("SI", "SK"),
    }
)
EU27_COUNTRIES = EEA_COUNTRIES - {"IS", "LI", "NO"}
