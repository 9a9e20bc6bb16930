"""Numbers as people write them in replies: "12,500", "1.2m", "40k", "1,5", "1.200.000",
"610 000", "1'050'000", "2,5 Mio", "610 T€", and which reading of an ambiguous one a key
result means.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from okrmail.replies.fields import KeyResultRef

# "12,500", "1 250" (a space, no-break, narrow or plain), "38", "2.5", "1,5" (decimal
# comma); as most of Europe writes them, "1.200.000", "1.200,50", "1 200,5"; then an
# optional multiplier (k, m, bn, million, or a word of another language: see
# `_MULTIPLIER_WORDS`) that is not the start of a word ("45 min" is not 45 million). At
# most five groups of digits (trillions): a longer run is a list of numbers ("120 135 150
# 160 171 180"), each read on its own, and a cap keeps a line of thousands of them one pass.
_GROUPS = r"{1,4}"
# Thousands, millions and billions, also in words of the six other languages we read (not
# Spanish "mil", a thousand, which is a million in English slang, "$2 mil", but before an
# amount of money: see `_THOUSAND_BEFORE_MONEY`).
_MULTIPLIER_WORDS = (
    r"(?:k|m|bn|mio|mrd|tsd|tausend|mille|millionen|millions?|millones|milh[õo]es|milioni"
    r"|miljoen|milliarden?|milliards?)"
)
# Thousands as German ("610 T€", "610 TEUR") and Spanish and Portuguese ("610 mil euros")
# write them before an amount of money (not "1.1 mil euros": a decimal before "mil" is
# English slang's million).
_THOUSAND_BEFORE_MONEY = (
    r"t(?=\s?(?:€|eur\b))"
    r"|(?<![.,]\d)(?<![.,]\d\d)(?<![.,]\d )(?<![.,]\d\d )"
    r"mil(?=\s(?:€|euros?|d[óo]lares|reais|pesos)(?![a-z]))"
)
NUMBER = (
    # The lookahead first: it fails at once where no number starts (most places).
    r"(?=[$€£\d])(?<![\w.,])[$€£]?"
    rf"(?:[1-9]\d{{0,2}}(?:[. \u00a0\u202f]\d{{3}}){_GROUPS},\d+"
    r"|[1-9]\d{0,2}(?:\.\d{3}){2,4}(?![\d.]\d)"
    rf"|[1-9]\d{{0,2}}(?:[, \u00a0\u202f]\d{{3}}){_GROUPS}(?![\d,]|[ \u00a0\u202f]\d{{3}}(?!\d))"
    # Swiss: "1'050'000"
    rf"|[1-9]\d{{0,2}}(?:['’]\d{{3}}){_GROUPS}(?![\d'’])"
    r"|\d+)(?:[.,]\d+)?"
    rf"(?:\s?(?:{_MULTIPLIER_WORDS}(?![^\W\d_])|{_THOUSAND_BEFORE_MONEY}))?"
)
NUMBER_RE = re.compile(NUMBER, re.I)
_NUMBER_PARTS = re.compile(
    r"(?:(?P<minus>[-−])|\+)?(?=[$€£\d])[$€£]?(?P<digits>[\d,. \u00a0\u202f'’]+?)"
    rf"\s?(?P<suffix>{_MULTIPLIER_WORDS}|t|mil)?\.?$",
    re.I,
)
_THOUSANDS = re.compile(r"^[1-9]\d{0,2}(?:[, \u00a0\u202f'’]\d{3})+(?:\.\d+)?$")
_GROUP_SEPARATORS = re.compile(r"[, \u00a0\u202f'’]")
_EUROPEAN_SEPARATORS = re.compile(r"[. \u00a0\u202f]")
# Dots (or spaces) between thousands and a decimal comma, or two dots or more: European.
_EUROPEAN = re.compile(
    r"^[1-9]\d{0,2}(?:[. \u00a0\u202f]\d{3})+,\d+$|^[1-9]\d{0,2}(?:\.\d{3}){2,}(?:,\d+)?$"
)
# "610.000" is 610 in English and 610,000 in German, "1,500" 1500 and 1.5: see `value_of`.
_ONE_GROUP = re.compile(r"^[$€£]?(?P<whole>[1-9]\d{0,2})[.,](?P<three>\d{3})$")
# "610 000" is 610,000 in French, but "38 120 new signups" is 38 and then 120: see `value_of`.
SPACED = re.compile(r"^[$€£]?(?P<first>[1-9]\d{0,2})(?: \d{3})+(?:[.,]\d+)?$")
_MULTIPLIERS = {
    "k": Decimal(1000),
    "m": Decimal(1_000_000),
    "million": Decimal(1_000_000),
    "millions": Decimal(1_000_000),
    "bn": Decimal(1_000_000_000),
}
# Said the European way: a comma before them is a decimal comma ("1,2 Millionen"), and dots
# between groups of three digits separate thousands ("1.250 Tsd").
_EUROPEAN_MULTIPLIERS = {
    **dict.fromkeys(("tsd", "tausend", "mille", "t", "mil"), Decimal(1000)),
    **dict.fromkeys(
        ("mio", "millionen", "millones", "milhões", "milhoes",
         "milioni", "miljoen"),
        Decimal(1_000_000),
    ),
    **dict.fromkeys(("mrd", "milliarde", "milliarden", "milliard", "milliards"), Decimal(10**9)),
}  # fmt: skip
_DOT_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")


# No key result counts to 10^27: a longer number is a run of numbers read as one.
_MOST_DIGITS = 27


def parse_number(text: str) -> Decimal | None:
    """'12,500' -> 12500, '1.2m' -> 1200000, '40k' -> 40000, '1,5' -> 1.5,
    '1.200.000' -> 1200000, '1.200,5' -> 1200.5, '0,875 Mio' -> 875000, '1,2 Millionen'
    -> 1200000, '610 Tsd' -> 610000; else None.

    A comma followed by exactly three digits separates thousands; any other comma is a
    decimal comma (as most of Europe writes it), and so is one after dots between groups
    of three digits, or before a multiplier word of another language ("Mio", "millones"),
    where dots between groups of three digits separate thousands. A single dot is a
    decimal point ("1.500" is 1.5; but see `value_of`).
    """
    parts = _NUMBER_PARTS.match(text.strip())
    if not parts:
        return None
    digits = parts["digits"]
    suffix = (parts["suffix"] or "").lower()
    european = suffix in _EUROPEAN_MULTIPLIERS
    # "1,2 Mio", "1.250 Tsd", "1.200,50", "1.200.000" (no English-grouped number is one).
    said_in_europe = (european and ("," in digits or _DOT_THOUSANDS.match(digits))) or (
        _EUROPEAN.match(digits)
    )
    if said_in_europe:
        digits = _EUROPEAN_SEPARATORS.sub("", digits).replace(",", ".")
    elif _THOUSANDS.match(digits):
        digits = _GROUP_SEPARATORS.sub("", digits)
    else:
        digits = digits.replace(",", ".")
    try:
        value = Decimal(digits)
        if suffix:
            value *= _EUROPEAN_MULTIPLIERS[suffix] if european else _MULTIPLIERS[suffix]
        if value.adjusted() >= _MOST_DIGITS:
            return None  # a run of numbers, not one: "120 135 150 … 220"
        return tidy(-value if parts["minus"] else value)
    except InvalidOperation:  # malformed, or too many digits to quantize
        return None


def value_of(written: str, kr: KeyResultRef) -> Decimal | None:
    """A key result's value as written: `parse_number`, but where a number reads two ways
    it is read the way nearer the key result's own numbers in order of magnitude:

    - one separator before three digits ("610.000", "1,050"), a whole number in one
      language and a fraction in another: 610000 of a 1.2m EUR key result, 1050 customers
      of 800, 99.95 of 99.95%, 1.5 days of 5;
    - groups split by plain spaces ("610 000"): 610000 of 1.2m EUR, but 38 of 45 teams for
      "38 120 new signups" (two numbers).

    On a tie, or for a key result of only zeros, as written in English (`parse_number`),
    but plain spaces do not join numbers then.
    """
    if written.isascii() and written.isdigit():  # most are: "38"
        return Decimal(written)
    if written[-1:] in ("m", "M") and _IN_MINUTES.match(kr.unit.strip()):
        written = written[:-1]  # "45m" of a key result in minutes: 45 minutes, not millions
    value = parse_number(written)
    if value is None:
        return None
    written = written.strip()
    if _IN_THOUSANDS.match(kr.unit.strip()) and _THOUSANDS_SUFFIX.search(written):
        return tidy(value / 1000)  # "610 T€" of a key result counted in T€ is 610
    if written[-3:].lower() == "mil":  # a thousand in Spanish, a million in English slang
        return _mil(value, kr)
    one_group, spaced = _ONE_GROUP.match(written), SPACED.match(written)
    if one_group is None and spaced is None:
        return value
    if spaced is not None:
        readings = (Decimal(spaced["first"]), value)
    else:
        whole, three = one_group["whole"], one_group["three"]  # type: ignore[index]
        readings = (tidy(Decimal(f"{whole}.{three}")), Decimal(whole + three))
    if spaced is not None and not scale_of(kr):
        return readings[0]
    return _nearer_in_scale(readings, kr, value)


# A key result counted in minutes (or metres), whose "m" after a number is its unit.
_IN_MINUTES = re.compile(r"^(?:m|mins?|minutes?|minuten|minutos|minuti|meters?|metres?)$", re.I)


def _mil(thousands: Decimal, kr: KeyResultRef) -> Decimal:
    """ "610 mil euros" is 610,000 (Spanish, Portuguese); "2 mil euros" of a 1.2m key result
    is English slang's 2 million: a million only where that is within ten times the key
    result's numbers and a thousand is not ("25 mil euros" of 1.2m is 25,000)."""
    scale = scale_of(kr)
    if not scale or thousands <= 0:
        return thousands
    order = scale.log10()
    millions = thousands * 1000
    near = [abs(reading.log10() - order) <= 1 for reading in (thousands, millions)]
    return millions if near == [False, True] else thousands


def scale_of(kr: KeyResultRef) -> Decimal:
    return max(abs(kr.start), abs(kr.target), abs(kr.current or 0))


def _nearer_in_scale(readings: Sequence[Decimal], kr: KeyResultRef, tie: Decimal) -> Decimal:
    """Of the readings of one number, the one nearer the key result's own numbers in
    order of magnitude (`tie` when equally near, or for a key result of only zeros)."""
    scale = scale_of(kr)
    if not scale or any(reading <= 0 for reading in readings):
        return tie
    # `Decimal.log10` takes tens of microseconds (28 digits); floats tell the nearer one
    # apart but for a near tie, where float rounding could decide: only then is it
    # worked out in decimals, as it always was (so either way the same one is chosen).
    nearness = _float_nearness(readings, scale)
    if nearness is not None:
        return readings[nearness.index(min(nearness))]
    order = scale.log10()
    return min(readings, key=lambda reading: (abs(reading.log10() - order), reading != tie))


# Further apart than this in order of magnitude, float logarithms (good to about 1e-13
# here) and `Decimal.log10` (to 28 digits) order two readings the same way.
_CLEARLY_NEARER = 1e-9


def _float_nearness(readings: Sequence[Decimal], scale: Decimal) -> list[float] | None:
    """How far each reading is from `scale` in orders of magnitude, in floats; None when
    two are nearly as far (a tie, or one floats cannot tell), or out of a float's range."""
    floats = [float(number) for number in (scale, *readings)]
    if not all(0 < number < math.inf for number in floats):
        return None  # too small or too large for a float's logarithm
    order = math.log10(floats[0])
    nearness = [abs(math.log10(number) - order) for number in floats[1:]]
    ranked = sorted(nearness)
    if any(later - first <= _CLEARLY_NEARER for first, later in pairwise(ranked)):
        return None
    return nearness


# A key result counted in thousands ("TEUR", "T€", "k€", "mil reais"), and a number said in
# thousands ("610 T€", "610k"): the number is already in the key result's unit.
_IN_THOUSANDS = re.compile(
    r"^(?:k|t|tsd\.?|tausend|mil)\s?(?:€|eur|euros?|usd|\$|£|gbp|chf|reais|r\$)?$", re.I
)
_THOUSANDS_SUFFIX = re.compile(r"\d\s?(?:k|t|tsd|tausend|mille|mil)\.?$", re.I)


def tidy(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (1.2E+6); a value too
    long for that (a pasted run of nines times a target) as it is."""
    try:
        if value == value.to_integral_value():
            return value.quantize(Decimal(1))
        return value.normalize()
    except InvalidOperation:
        return value
