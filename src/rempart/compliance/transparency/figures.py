"""How figures are written: integers for counts, shares in [0, 1], medians in hours.

Medians are exact (computed on microseconds, the mean of the two middle values for an even
count), then rounded half-up: hours to 2 decimals, shares to 4. Trailing zeros are dropped but
one decimal is kept, so a float column never reads like a count ("3.0", "0.5", "0.6667").
An empty cell is a figure that does not exist (not applicable, or a median of no cases).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

HOUR_PLACES = 2
SHARE_PLACES = 4
_US_PER_HOUR = 3_600_000_000


def _us(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def median_hours(deltas: Iterable[timedelta]) -> Fraction | None:
    """The exact median of durations, in hours; None when there are none."""
    values = sorted(_us(d) for d in deltas)
    if not values:
        return None
    mid = len(values) // 2
    if len(values) % 2:
        return Fraction(values[mid], _US_PER_HOUR)
    return Fraction(values[mid - 1] + values[mid], 2 * _US_PER_HOUR)


def _decimal(value: Fraction, places: int) -> str:
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        text = str(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
    if "." in text:
        text = text.rstrip("0")
        if text.endswith("."):
            text += "0"
    return text


def hours(value: Fraction | None) -> str:
    """A median time cell: hours with up to 2 decimals, or blank when undefined."""
    return "" if value is None else _decimal(value, HOUR_PLACES)


def share(numerator: int, denominator: int) -> str:
    """A share cell in [0, 1] with up to 4 decimals, or blank when the denominator is 0."""
    if denominator == 0:
        return ""
    return _decimal(Fraction(numerator, denominator), SHARE_PLACES)


def count(value: int) -> str:
    """A count cell: a plain integer."""
    return str(int(value))
