"""Numbers in a reply that are no value of a key result: the number of a name ("Week 47",
"Sprint 23-24", "PR #482", "COVID-19"), a date ("11/15/26", "15.11.", "Nov 15", "15.
November 2026", "Q4 2026"), a time of day ("14:00"), a number said to be the target or
the start ("target 45"). The reader of answers (`fields`) passes over them.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache
from typing import TYPE_CHECKING

from okrmail.replies.numbers import NUMBER, scale_of

if TYPE_CHECKING:
    from okrmail.replies.fields import KeyResultRef

_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_]+")


def _longest_first(words: frozenset[str]) -> str:
    """The words as alternatives of a pattern, longest first ("march" before "mar")."""
    return "|".join(sorted(words, key=lambda word: (-len(word), word)))


# Months in English and the six other languages we read: a day or a year said with one
# is no value (see `_WHEN`), and no sentence ends inside one ("15. November").
_MONTHS = frozenset(
    """jan january feb february mar march apr april may jun june jul july aug august sep sept
    september oct october nov november dec december
    januar februar märz mai juni juli oktober dezember
    janvier février mars avril juin juillet août septembre octobre novembre décembre
    enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
    januari februari maart mei augustus
    gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre
    janeiro fevereiro março maio junho julho setembro outubro novembro dezembro
    jänner okt mär marz févr fév fevrier janv juil aout déc decembre ene abr dic""".split()  # noqa: SIM905
)
# English "May" only with its capital ("may 3 teams join").
_MONTH = _longest_first(_MONTHS - {"may"}) + "|(?-i:May)"


# A date is not progress: "done on 11/15" is done, "38 as of 11/15" is 38, "am 15.11.
# erledigt" is done. A date with a year ("2026-11-15", "15.11.2026", "11/15/26"), German
# day and month with their dots ("15.11. erledigt"), or a day and month after a word that
# says when ("on", "by", "as of", "since", "planned", "go-live", "am", "bis", "le", "el",
# "op", ...); "11/15" alone stays a value against a target. Each is checked to be a
# possible day and month.
_DATE = re.compile(
    r"(?<![\w.,/-])(?:"
    r"\d{4}-(?P<iso_month>\d{1,2})-(?P<iso_day>\d{1,2})(?![\d-])"
    r"|(?P<first>\d{1,2})(?P<separator>[./])(?P<second>\d{1,2})(?P=separator)(?:\d{4}|\d{2})(?![\d./])"
    r"|(?P<day>\d{2})\.(?P<month>\d{2})\.(?=\s+\S)"
    # English writes a day and month with "/": "on 2.5 days" is a decimal.
    r"|\b(?:on|by|as\s+of|since|until|till|due|before|after)\s+"
    r"(?P<cued_first>\d{1,2})/(?P<cued_second>\d{1,2})(?![\d/%]|\.\d)"
    # A plan's date ends what is said of it ("go-live 30/11"; not "planned 3/5 milestones"),
    # as does an event's ("kickoff 11/20", "demo 12/3": when it happens, not a share).
    r"|\b(?:planned|scheduled|go[- ]?live|launch|ETA|deadline|kick[- ]?off|demo|review"
    r"|workshop|offsite|meeting)\s+"
    r"(?P<plan_first>\d{1,2})/(?P<plan_second>\d{1,2})(?![\d/%]|\.\d|\s*[^\W\d_])"
    r"|\b(?:am|bis|vom|seit|le|au|du|el|op|tot|il|entro|até)\s+"
    r"(?P<other_first>\d{1,2})[./](?P<other_second>\d{1,2})(?![\d/%]|\.\d))",
    re.I,
)


_DIGIT_SEPARATOR_DIGIT = re.compile(r"\d[./-]\d")


def dates_in(text: str, start: int, end: int) -> list[range]:
    """Where text[start:end] holds a date (see `_DATE`)."""
    if not _DIGIT_SEPARATOR_DIGIT.search(text, start, end):
        return []  # every date has one
    return [
        range(found.start(), found.end())
        for found in _DATE.finditer(text, start, end)
        if _could_be_a_date(found)
    ]


def _could_be_a_date(found: re.Match[str]) -> bool:
    if found["iso_month"]:
        return is_day_and_month(int(found["iso_day"]), int(found["iso_month"]))
    if found["day"]:
        return is_day_and_month(int(found["day"]), int(found["month"]))
    first, second = next(
        (found[f"{name}first"], found[f"{name}second"])
        for name in ("", "cued_", "plan_", "other_")
        if found[f"{name}first"]
    )
    one, other = int(first), int(second)
    # Day first (most of the world) or month first (the US), whichever fits.
    return is_day_and_month(one, other) or is_day_and_month(other, one)


def is_day_and_month(day: int, month: int) -> bool:
    return 1 <= day <= 31 and 1 <= month <= 12


# A number that names something says neither where a key result stands nor a score: "Week
# 47: 38 teams", "weeks 46 and 47", "Sprint 3 of 6", "Sprint 23-24", "Phase 2", "release
# 4.2", "KW 47", "PR #482", "COVID-19", "ISO-9001", "1-on-1", "our 1:1". Not after "this",
# "last", "per", "of", ... (also as the other languages say them: "diese Woche 38", "cette
# semaine 38"): "This week 41 teams" and "week over week 41" are 41. Not a
# percentage: "sprint 12%". Numbers after a label word are a key result's own when it
# counts such things ("Milestone 3 of 5" of "Ship 5 milestones"): see `_kinds_not_values`.
_LABEL_WORDS = frozenset(
    """week weeks wk sprint sprints iteration iterations phase phases release releases version
    versions milestone milestones pr kw cw woche wochen semaine semaines semana semanas fase
    fases versie versione versão versao""".split()  # noqa: SIM905 (a list of words)
)
_NAME_NUMBER = r"(?<![\d.,])\d++(?:[.-]\d++)*+"
# Each alternative first looks ahead for what it must start with (a word before a number,
# a digit, "#"): a pattern is tried at every position of a line, and most fail at once.
# Each is a named group, the kind of what it found.
_NAMING_NUMBER = re.compile(
    r"(?P<label>\b(?=[^\W\d_]{2,11}\.?\s*(?:no\.?\s*|#\s*)?\d)"
    r"(?<!\bthis )(?<!\blast )(?<!\bnext )(?<!\bper )(?<!\ba )(?<!\beach )(?<!\bevery )"
    r"(?<!\bthe )(?<!\bof )(?<!\bover )"
    # and as other languages say "this", "per", "each": "diese Woche 38", "cette semaine 38"
    r"(?<!\bdiese )(?<!\bdieser )(?<!\bpro )(?<!\bje )(?<!\bcette )(?<!\bpar )"
    r"(?<!\besta )(?<!\beste )(?<!\bpor )(?<!\bdeze )(?<!\bnesta )(?<!\bneste )"
    r"(?<!\bquesta )(?<!\bcada )(?<!\bchaque )(?<!\belke )(?<!\bjede )"
    rf"(?:{_longest_first(_LABEL_WORDS)})\.?\s*+(?:no\.?\s*|#\s*)?"
    r"(?<![\d.,])(?:(?P<tens>[1-9])\d(?!\d)|\d++)(?:[.-]\d++)*+"
    # "weeks 46 and 47", "KW 46 und 47" (of the same tens: "Sprint 23 and 41 teams" is 41),
    # "Sprint 3 of 6", "week 3/4"
    r"(?:\s*+(?:and|und|et|y|e|en|&)\s*+(?(tens)(?P=tens)\d|\d)(?!\d))*+"
    rf"(?:\s*+(?:of|von|de|sur|/)\s*+{_NAME_NUMBER})?+(?!\s*%))"
    rf"|(?P<name>(?:#\s*|(?=\d)(?<=[^\W\d_]-)){_NAME_NUMBER}(?!\s*%)"
    r"|(?=1)(?<![\w.,:])1(?:-on-|\s+on\s+|:)1\b(?!:))",
    re.I,
)
# A day or a year said with a month, a year after a word that says when, or a time of day:
# - a day: "Nov 15:", "Nov 15th", "November 16, 2026", "on May 3", "15 Nov", "2 de marzo",
#   and the German "am 15. November", "16. November 2026", "15. November:" (but not "41.
#   May reach 45": a sentence ends there); a number after a month that could not be a
#   day, or that goes on ("In November 41 teams", "In November 12 teams", "Nov 64%"),
#   stays a number;
# - a year: "Nov 2026", "Q4 2026", "in 2026 so far", "since 2025" (not of a key result
#   whose own numbers look like years: see `_kinds_not_values`);
# - a time: "14:00", "9:30 am".
_YEAR = r"(?:19|20)\d\d(?![\w.,]\d|%)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?!\d)"
_DAY_CUE = r"on|by|since|until|till|as\s+of|from|before|after|due|am|le|el|op|il|em"
# After a word that says when, a month and a number is a day, but for a quantity: "since
# May 6 weeks average".
_UNIT_WORDS = r"days?|weeks?|months?|hours?|h|teams?|people|points?|pts|users?|customers?|deals?|%"
_WHEN = re.compile(
    rf"(?P<day>\b(?=[^\W\d_]{{3,9}}\.?\s*\d)(?:{_MONTH})\.?\s*+{_DAY}"
    rf"(?:(?:st|nd|rd|th)\b(?:,?\s*{_YEAR})?|,?\s*{_YEAR}|(?=\s*(?:[,.:;)\]–-](?!\d)|$)))"
    rf"|\b(?:{_DAY_CUE})\s+(?:the\s+)?(?:{_MONTH})\.?\s*+{_DAY}(?:st|nd|rd|th)?\b"
    rf"(?:,?\s*{_YEAR}|(?![%.,]\d|%|\s+(?:{_UNIT_WORDS})\b))"
    rf"|(?=\d)(?<![\w.,]){_DAY}(?:st|nd|rd|th)?\s*+(?:de\s+)?(?:{_MONTH})\b"
    rf"(?:,?\s*(?:de\s+)?{_YEAR})?"
    rf"|(?=\d)(?:(?<=\bam )|(?<=\bbis )|(?<=\bvom )|(?<=\bseit )|(?<=\bzum )|(?<=\bab )"
    rf"|(?<=\bden )|(?<=, )|(?<=\()){_DAY}\.\s*+(?:{_MONTH})\b(?:\s*{_YEAR})?"
    rf"|(?=\d)(?<![\w.,]){_DAY}\.\s*+(?:{_MONTH})(?:\s+{_YEAR}|(?=\s*(?:[:;,)\]]|$)))"
    r"|(?=\d)(?<![\w.,:])(?:[01]?\d|2[0-3]):[0-5]\d(?!\d|:\d)(?:\s*(?:am|pm|h|uhr)\b)?)"
    rf"|(?P<year>\b(?=[^\W\d_]{{3,9}}\.?\s*(?:19|20)\d\d)(?:{_MONTH})\.?\s*+{_YEAR}"
    rf"|\b(?=\w{{1,6}}\s+(?:19|20)\d\d)(?:Q[1-4]|H[12]|FY|in|since|during|for|of|year)\s+{_YEAR}\b)",
    re.I,
)


def aside_numbers(text: str, start: int, end: int, kr: KeyResultRef | None = None) -> list[range]:
    """Where text[start:end] holds the number of a name, a day or year with its month, a
    time of day or a target (see `_NAMING_NUMBER`, `_WHEN`, `_TARGET_NUMBER`), each from
    its first digit on: those that are no value of `kr` (of any key result, when None).

    Whole lines are read: a clause or a sentence may end inside a date ("November 16,
    2026", "Montag, 16. November").
    """
    if not _DIGIT.search(text, start, end):
        return []
    starts, spans = _names_in_text(text)
    if not spans:
        return []
    kinds = _kinds_not_values(kr)
    # Only those near the stretch: a line may hold thousands, and as many items.
    first = bisect_left(starts, start - _LONGEST_NAME)
    last = bisect_left(starts, end)
    return [range(begin, stop) for begin, stop, kind in spans[first:last] if kind in kinds]


@lru_cache(maxsize=256)  # a passage is cut into items, each asking of the same text object
def _names_in_text(text: str) -> tuple[list[int], list[tuple[int, int, str]]]:
    """`names_in_line` of every line of `text`, as offsets into it."""
    spans: list[tuple[int, int, str]] = []
    offset = 0
    for line in text.split("\n"):
        spans += [
            (offset + begin, offset + stop, kind) for begin, stop, kind in names_in_line(line)
        ]
        offset += len(line) + 1
    return [begin for begin, _, _ in spans], spans


# Names and dates are short: one that starts further back than this before a stretch is
# taken to end before it.
_LONGEST_NAME = 64


@lru_cache(maxsize=64)
def _kinds_not_values(kr: KeyResultRef | None) -> frozenset[str]:
    """The kinds of `aside_numbers` that are no value of `kr`: a label's number is the value of a
    key result that counts what it labels ("Ship 5 milestones": "Milestone 3 of 5"), and a
    year could be the value of one whose numbers look like years (1,500 to 2,500 signups)."""
    kinds = {"label", "name", "day", "year", "target"}
    if kr is None:
        return frozenset(kinds)
    if set(_WORD.findall(f"{kr.title} {kr.unit}".lower())) & _LABEL_WORDS:
        kinds.discard("label")
    if 1000 <= scale_of(kr) < 10000:
        kinds.discard("year")
    return frozenset(kinds)


@lru_cache(maxsize=4096)  # lines recur: the quoted prompt's in every reply
def names_in_line(line: str) -> list[tuple[int, int, str]]:
    """The (start, end, kind) of what `aside_numbers` looks for in `line`, sorted by start."""
    if not _DIGIT.search(line):
        return []
    # Either pattern is tried at every position of the line, and most lines with numbers
    # hold none of what they look for: what each needs is looked for first, cheaply.
    words = set(_WORD.findall(line.lower()))
    found: list[re.Match[str]] = []
    if "#" in line or words & _LABEL_WORDS or _NAMING_HINT.search(line):
        found += _NAMING_NUMBER.finditer(line)
    if words & _MONTHS or _WHEN_HINT.search(line):
        found += _WHEN.finditer(line)
    if words & _TARGET_WORDS:
        found += _TARGET_NUMBER.finditer(line)
    spans = []
    for match in found:
        number = _DIGIT.search(line, match.start(), match.end())
        begin = number.start() if number else match.start()
        spans.append((begin, match.end(), match.lastgroup or "name"))
    spans.sort()
    return spans


# Every match of `_NAMING_NUMBER` holds "#", one of its label words as a word, or one of
# these; every match of `_WHEN` a month as a word or one of these (a time, a year).
_NAMING_HINT = re.compile(r"[^\W\d_]-\d|1(?:-on-|\s+on\s+|:)1")
_WHEN_HINT = re.compile(r"\d:[0-5]\d|(?<!\d)(?:19|20)\d\d")
# A number said to be the target, or the start, is no value: "Q4 target 45: we're at 38",
# "at 38, goal 45", "baseline 30, now 38".
_TARGET_WORDS = frozenset(
    """target goal ziel zielwert objectif cible objetivo doel streefwaarde obiettivo start
    baseline""".split()  # noqa: SIM905 (a list of words)
)
_TARGET_SAID = (
    rf"\b(?:{_longest_first(_TARGET_WORDS)})\b\s*+(?:(?:is|was|of|von|de|van|di)\s+)?:?\s*+"
)
_REACHED = r"reached|achieved|exceeded|beat"
_TARGET_NUMBER = re.compile(
    # Not one said to be reached ("Target 45 reached", "Reached our target of 45", "Beat the
    # target: 47"), unless asked ("Target 45 reached? Not yet", "reached goal 80%? no").
    r"(?P<target>(?<!\breached )(?<!\bachieved )(?<!\bexceeded )(?<!\bbeat )"
    r"(?<!\breached the )(?<!\bachieved the )(?<!\bexceeded the )(?<!\bbeat the )"
    r"(?<!\breached our )(?<!\bachieved our )(?<!\bexceeded our )(?<!\bbeat our )"
    rf"{_TARGET_SAID}(?>{NUMBER})"
    r"(?!\s*%?\s*(?:reached|hit|met|achieved|made|erreicht|geschafft|atteinte?|raggiunt[oa]"
    r"|cumplid[oa]|alcanzad[oa]|logrado|conseguido|gehaald|bereikt|atingid[oa]|alcan[çc]ad[oa])"
    r"\b(?!\s*\?))"
    rf"|\b(?:{_REACHED})\s+(?:(?:the|our)\s+)?{_TARGET_SAID}(?>{NUMBER})(?=\s*%?\s*\?))",
    re.I,
)
# Between a name and a "done" about it ("Sprint 23 done", "PR #482 is now done"); not a
# colon or a dash ("Week 47: done" says what is done in week 47).
_BEFORE_DONE = re.compile(
    r"\s++(?:(?:is|was|are|were|now|fully|completely|finally|been)\s++)*", re.I
)


def about_a_name(text: str, position: int) -> bool:
    """Whether what is said at `position` is said of a name just before it ("Sprint 23
    done", not "Nov 15: all done")."""
    starts, spans = _names_in_text(text)
    first = bisect_left(starts, position - _LONGEST_NAME)
    return any(
        kind in ("label", "name")
        and stop <= position
        and _BEFORE_DONE.fullmatch(text, stop, position)
        for _, stop, kind in spans[first : bisect_left(starts, position)]
    )
