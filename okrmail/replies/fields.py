"""Read the facts inside one answer: key-result progress, confidence, blockers, help, wins.

Pure functions over a piece of text. Every reading keeps the Span it was read from, with
offsets into the text it was given (the caller shifts them to wherever that text came
from), so a confirmation email or a digest can show "we read 38 from '…38/45…'".

How a passage is cut into *items*, each about at most one key result (shared by progress
and confidence):

- the passage is split into units: lines, and sentences within a line;
- a label ("KR1", "KR 2", "kr#3", "key result 2", or "2)" starting a line of a listed
  answer) owns the clause after it ("KR1 38/45, KR2 60%") or, when nothing readable
  follows it, the clause before it ("60% on KR1, 38/45 for KR2");
- the rest of a unit is split into clauses (", ", ";", " and "), and a clause may name a
  key result by the distinctive words of its title ("onboarding: 3 days");
- in a *listed* passage (the answer to a progress or confidence question), items naming
  no key result at all are matched to the key results in order when their counts agree
  ("60%, 38/45, done" or one line per key result).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise

from okrmail.prompting import format_value, unit_suffix
from okrmail.replies.asides import (
    about_a_name,
    aside_numbers,
    dates_in,
    is_day_and_month,
    names_in_line,
)
from okrmail.replies.numbers import NUMBER, NUMBER_RE, SPACED, parse_number, tidy, value_of

# -- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyResultRef:
    """One of the person's key results, numbered as in the prompt (KR1, KR2, ...)."""

    number: int
    title: str
    start: Decimal
    target: Decimal
    unit: str
    current: Decimal | None


@dataclass(frozen=True)
class Span:
    """Where a reading came from: offsets into the analysed text and the text itself."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ProgressReading:
    """Progress on one key result.

    status: "value" (38/45 -> value 38), "percent" (60% -> percent 60, value derived from
    start and target), "done" (value = target) or "no-change" (value = current). For a key
    result measured in percent ("raise coverage to 80%"), "64%" is a value, not a share.
    """

    kr_number: int
    value: Decimal | None
    percent: Decimal | None
    status: str
    span: Span
    # Said as a correction of what was said of the key result before ("Actually KR1 is
    # 41"): it replaces a reading read earlier in the reply instead of giving way to it.
    corrects: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class ConfidenceReading:
    """A confidence score from 1 to 10 for one key result, or overall (kr_number None)."""

    kr_number: int | None
    score: int
    span: Span


@dataclass(frozen=True)
class Note:
    """A blocker, a request for help or a win, as the person wrote it."""

    kind: str  # blocker | help | win
    text: str
    span: Span


@dataclass(frozen=True)
class ProgressScan:
    readings: list[ProgressReading]
    unclear: list[str]


@dataclass(frozen=True)
class ConfidenceScan:
    readings: list[ConfidenceReading]
    unclear: list[str]


# -- cutting a passage into items -----------------------------------------------------------


# "KR1", "KR 2", "kr#3", "Key result 2"
_KR_LABEL = re.compile(r"\b(?:KR|key[\s-]*result)\s*#?\s*(\d{1,2})\b", re.I)
# In a listed answer, "2) 60%" or "- 2. 38/45" at the start of a line names KR2.
_LIST_NUMBER = re.compile(r"\s*(?:[-*•]\s*)?(\d{1,2})\s*[.):]\s+")
# A sentence ends at . ! or ? followed by a capital (not "3.5", not "e.g. KR1"), but for
# a German day's dot before its month ("Montag, 16. November 2026": see `_units`); or by a
# small letter, as people typing on a phone write ("csat is 88% now. first response
# time 7 hours"), but after an abbreviation ("approx. 40", "z.B. neue Teams") or a number
# ("KR1 38. then 40"), and not before a number ("mostly EMEA. 38 so far" says 38 of it).
_ABBREVIATIONS = (
    "e.g i.e etc vs approx appr ca incl excl resp est min max avg no nr mr mrs dr prof"
    " p.m a.m z.b bzw ggf u.a usw inkl evtl ca vgl d.h p.ex env cf aprox aprox núm pág n.º"
    " sr sra dhr mw bijv o.a m.a.w i.p.v acc v.a mgmt dept med inc corp ltd hrs mins wks"
    " abt approx appt attn div ext fig govt jr qty ref rev sec tel temp vol yrs wk"
    " jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri"
    " sat sun"
)
_NOT_AFTER_ABBREVIATION = "".join(
    rf"(?<!\b{re.escape(word)}\.\s)" for word in sorted(set(_ABBREVIATIONS.split()))
)
_SENTENCE_END = re.compile(
    r"(?=\s)(?<=[.!?])\s+"
    r"(?:(?=[A-Z\"'(])|(?<=[!?]\s)(?=[^\W\d_])|(?:(?<=[^\W\d_]{3}\.\s)|(?<=%\.\s))(?i:"
    + _NOT_AFTER_ABBREVIATION
    + r")(?=[^\W\d_]))"
)
# Clause boundaries inside a unit: ", " and ";" and " and " in the languages we read (not
# "12,500" or "1,5"; not Dutch "en", French for "in" too).
_CLAUSE_BREAK = re.compile(
    # Blanks are taken whole, from where they start: confidence talk is read out of a
    # passage as blanks, and a search starting inside a long run would re-read it.
    r",\s+|;\s*|(?<!\s)\s++(?:and|&)\s++"
    # Another language's "and" only before a word and then a number ("88% und NPS 41"; not
    # "40 y 66%", where the numbers go with names said before them), see `_clause_bounds`.
    r"|(?<!\s)\s++(?P<other_and>und|et|y|e)\s++(?=[^\W\d_][^\d\n]{0,60}\d)"
)
_ANDS = (" and", " und", " et", " y", " e")  # one of these is in every "and" break
_WORD = re.compile(r"[^\W\d_]+")
# Words that say what kind of change a key result wants, not which one it is.
_GENERIC_TITLE_WORDS = frozenset(
    """increase raise reduce decrease improve launch ship grow reach achieve keep maintain
    least more less than each from with into across within under over their this that
    every without about before after""".split()  # noqa: SIM905 (a list of words, kept short)
)
_STEM_LENGTH = 5  # "onboarding"/"onboarded": compare the first letters only
_SUFFIXES = ("ing", "ed", "s")


# Slotted, not frozen (quicker to build, several per reply); never changed once built.
@dataclass(slots=True)
class _Item:
    """A piece of a passage about one key result (kr None: not known which)."""

    kr: int | None
    start: int
    end: int
    labelled: bool  # named by a label (KR2, "2)") rather than by title words or order
    named: bool = False  # named by the words of its title


@lru_cache(maxsize=4096)  # people reuse their words: most are stemmed many times over
def _stem(word: str) -> str:
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:_STEM_LENGTH]


def _stems(text: str, *, title: bool = False) -> set[str]:
    """The stems of the words of `text` that can name a key result: words of four letters
    or more, and short ones, which name one only as an acronym of its title ("Raise NPS
    to 40" is named by "NPS +2" and "nps is 41")."""
    found = set()
    for word in _WORD.findall(text):
        if len(word) >= 4:
            if word.lower() not in _GENERIC_TITLE_WORDS:
                found.add(_stem(word))
        elif len(word) >= 2 and word.isupper() and word not in _NOT_ACRONYMS:
            found.add(word.lower())  # an acronym: "NPS", "SSO", "IT", "EU"
        elif not title and len(word) == 3 and word.lower() not in _SHORT_WORDS:
            found.add(word.lower())  # in a reply, also in small letters: "nps is 41"
        if not title and len(word) >= 3 and word.isupper():
            found.add(_ACRONYM + word.lower())  # "MTTR", for "Mean time to recovery"
    return found


# Codes in capitals that are units or our own words, not what a key result is about.
_NOT_ACRONYMS = frozenset(
    """EUR USD GBP CHF JPY CAD AUD SEK NOK DKK PLN CZK INR CNY BRL MXN KR KPI OKR OKRS""".split()  # noqa: SIM905
)
# Words of three small letters that are words, not an acronym of a title ("the", "die").
# (Shorter ones name a key result only in capitals: "eu" is Portuguese for "I", "ai" is
# French "j'ai", "it" is "it".)
_SHORT_WORDS = frozenset(
    """all and the for are new one two now per via yes not but out off too get got our its
    der die das und ist war mit von bei zum zur den dem des ein aus auf für
    les des une est pas sur par que qui son ses nos vos mes été aux
    los las una uno del por con que son muy más sin
    het een dat wat met van voor niet ook nog
    não sim com por uma são mas dos das nas nos sem tem vai seu sua ele ela
    ces cet mon ton ont eux lui moi toi
    sus mis tus hay fue ser era""".split()  # noqa: SIM905 (a list of words)
)


def _acronyms(title: str) -> set[str]:
    """The initials a title's subject goes by: "Mean time to recovery" is "mttr" (and
    "mtr"), "Raise net promoter score to 45" is "nps". The verb of change in front and
    what the title says of the target ("to 45", "from 30 to 45", "below 2%") are left
    out; a subject of two to five words only, so that the letters make a name and
    seldom a word people write for something else."""
    words = _WORD.findall(_TARGET_PART.split(title, maxsplit=1)[0])
    if words and words[0].lower() in _GENERIC_TITLE_WORDS | _CHANGE_VERBS:
        words = words[1:]
    if not 2 <= len(words) <= 5:
        return set()
    every = "".join(word[0] for word in words)
    main = "".join(word[0] for word in words if word.lower() not in _SMALL_TITLE_WORDS)
    return {_ACRONYM + initials.lower() for initials in (every, main) if len(initials) >= 3}


# Where a title goes on to its target: "to 45", "from 5 days to 1 day", "below 2%", "by Q4".
_TARGET_PART = re.compile(
    r"\s(?:from|to|by|under|below|above|over|at|in|within|of)\s+(?=[\d$€£~<>]|q[1-4]\b)"
    r"|\s[\d$€£]|[(:,;]",
    re.I,
)
# Marks a stem that is a title's initials, which a reply names only in capitals ("MTTR"):
# in small letters, three letters are too often a word.
_ACRONYM = "^"
_CHANGE_VERBS = frozenset("cut lower hit get grow book close sign hire double halve".split())  # noqa: SIM905
_SMALL_TITLE_WORDS = frozenset("to of the and for a an in on per".split())  # noqa: SIM905


# Metrics that go by two names, as stems a reply names them by: "Uptime 99.95%" of a key
# result titled "Availability at 99.9%". Only names that mean the same thing everywhere
# (not "sales" for revenue, a count of deals to some). Like any title word, a synonym
# names a key result only when no other key result's title gives it too.
_METRIC_SYNONYMS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (re.compile(r"\bavailability\b", re.I), frozenset({"uptim"})),
    (re.compile(r"\buptime\b", re.I), frozenset({"avail"})),
    (re.compile(r"\bchurn", re.I), frozenset({"attri"})),
    (re.compile(r"\battrition\b", re.I), frozenset({"churn"})),
    (re.compile(r"\bnet promoter\b", re.I), frozenset({"nps"})),  # "nps is 41", too
    (re.compile(r"\bcustomer satisfaction\b", re.I), frozenset({"csat"})),
    (re.compile(r"\bcsat\b", re.I), frozenset({"satis"})),
)


# Every match of `_METRIC_SYNONYMS` holds one of these once lowercased (as a hint holds
# no "i" and "s" is matched with "ſ" too: see `_may_hold_a_label`). Most titles name none
# of these metrics: one search of the lowercased title instead of seven searches of
# case-insensitive patterns, which are tried at every place.
_SYNONYM_HINT = re.compile(r"ava|upt|churn|attr|promoter|tomer|c[sſ]at")


@lru_cache(maxsize=256)
def _synonyms(title: str) -> frozenset[str]:
    """The stems of the other names of the metrics a title is about (see above)."""
    found: frozenset[str] = frozenset()
    if not _SYNONYM_HINT.search(title.lower()):
        return found
    for pattern, stems in _METRIC_SYNONYMS:
        if pattern.search(title):
            found |= stems
    return found


def _distinctive_stems(key_results: Sequence[KeyResultRef]) -> dict[int, set[str]]:
    """For each key result, the title stems no other key result shares."""
    return _distinctive_stems_of(tuple((kr.number, kr.title) for kr in key_results))


@lru_cache(maxsize=64)
def _distinctive_stems_of(titles: tuple[tuple[int, str], ...]) -> dict[int, set[str]]:
    """`_distinctive_stems` by (number, title): one reply reads the same key results a
    dozen times, so they are worked out once. Callers must not change the sets."""
    stems = {
        number: _stems(title, title=True) | _acronyms(title) | _synonyms(title)
        for number, title in titles
    }
    return {
        number: {
            stem
            for stem in own
            if not any(stem in other for key, other in stems.items() if key != number)
        }
        for number, own in stems.items()
    }


def _kr_by_name(text: str, distinctive: dict[int, set[str]]) -> int | None:
    """The one key result whose title words the text uses most (None on a tie or none)."""
    words = _stems(text)
    if not words:
        return None  # most clauses ("38/45", "60%") have no title words at all
    scores = {number: len(words & stems) for number, stems in distinctive.items()}
    best = max(scores.values(), default=0)
    winners = [number for number, score in scores.items() if score == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def _units(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-blank line, split further at sentence ends."""
    units, offset = [], 0
    for line in text.split("\n"):
        begin = offset
        # A sentence end follows ".", "!" or "?": lines without one need no search.
        if "." in line or "!" in line or "?" in line:
            # Whether the sentence so far said a value, and up to where that was looked for
            # (each stretch once: a line may hold thousands of full stops).
            value_said, searched = False, 0
            for end_of_sentence in _SENTENCE_END.finditer(line):
                stop = end_of_sentence.start()
                if _inside_a_day(line, stop):
                    continue  # "KR2: 15. November: 41 teams", "am 15. November 41 Teams"
                small = line[end_of_sentence.end() : end_of_sentence.end() + 1].islower()
                if small and line[stop - 1] == ".":
                    # Before a small letter, a full stop ends a sentence that said a value
                    # ("csat is 88% now. first"; not "slow week. only 38").
                    if not value_said:
                        found = _VALUE_DIGIT.search(line, max(searched, begin - offset), stop)
                        value_said, searched = found is not None, stop
                    if not value_said:
                        continue
                units.append((begin, offset + stop))
                begin = offset + end_of_sentence.end()
                value_said, searched = False, 0
        units.append((begin, offset + len(line)))
        offset += len(line) + 1
    return [(start, end) for start, end in units if text[start:end].strip()]


# A digit that may start a value: not one of a label or name written with it ("KR1", "p95").
_VALUE_DIGIT = re.compile(r"(?<![^\W\d_])\d")


def _inside_a_day(line: str, position: int) -> bool:
    """Whether the "." before `position` is a German day's ("15. November:"), which ends
    no sentence: one `aside_numbers` reads as a day (the few that can be both, "41. May
    reach 45", are read as a sentence end there)."""
    if not line[position - 2 : position - 1].isdigit():
        return False  # the usual sentence end, after a word
    # Sorted by start, and a day's span starts at its digits, right before the dot: only
    # the spans starting there are looked at (a line may hold thousands).
    spans = names_in_line(line)
    first = bisect_left(spans, position - 3, key=lambda span: span[0])
    last = bisect_left(spans, position, key=lambda span: span[0])
    return any(kind == "day" and position <= stop for _, stop, kind in spans[first:last])


def _labels(
    text: str, start: int, end: int, numbers: set[int], listed: bool
) -> list[tuple[int, int, int]]:
    """(kr, start, end) of every label in text[start:end] naming one of `numbers`."""
    found = (
        [
            (int(match[1]), match.start(), match.end())
            for match in _KR_LABEL.finditer(text, start, end)
            if int(match[1]) in numbers
        ]
        if _may_hold_a_label(text[start:end].lower())
        else []
    )
    at_line_start = start == 0 or text[start - 1] == "\n"
    listed_number = _LIST_NUMBER.match(text, start, end) if listed and at_line_start else None
    if listed_number and not found and int(listed_number[1]) in numbers:
        found.append((int(listed_number[1]), listed_number.start(), listed_number.end()))
        found += _numbers_listed_on(text, listed_number, end, numbers)
    if listed and len(found) < 2 and _may_hold_a_marker(text, start, end):
        # "(1) 40 (2) 3 days (3) 64%", "a) 40 b) 3 days", "#1 28 #2 3 days": markers
        # counting up from the first key result, on one line.
        markers = _markers_counting_up(text, start, end, numbers)
        if len(markers) >= 2:
            return markers
        if markers and at_line_start and not found and markers[0][1] == _skip_blanks(text, start):
            return markers  # one a line: "#1 28" (a line per key result)
        if at_line_start and not found:
            return _marker_counting_up_by_line(text, start, end, numbers)
    return found


def _marker_counting_up_by_line(
    text: str, start: int, end: int, numbers: set[int]
) -> list[tuple[int, int, int]]:
    """The marker opening the line at `start`, as [(kr, start, end)], when the lines before
    it open with markers of its kind counting up from the first key result: "#2 3 days"
    after a line "#1 28", "c) 64%" after "a) 40" and "b) 3 days" (else [])."""
    marker = _INLINE_MARKER.match(text, _skip_blanks(text, start), end)
    if marker is None:
        return []
    place, kind = _marker_place(marker)
    if place not in numbers:
        return []
    line_end, wanted = start - 1, place - 1
    while wanted >= 1 and line_end > 0:
        line_start = text.rfind("\n", 0, line_end) + 1
        line = text[line_start:line_end]
        line_end = line_start - 1
        if not line.strip():
            continue  # a blank line between them
        earlier = _INLINE_MARKER.match(text, _skip_blanks(text, line_start), line_start + len(line))
        if earlier is None or _marker_place(earlier) != (wanted, kind):
            return []
        wanted -= 1
    return [(place, marker.start(), marker.end())] if wanted == 0 else []


def _marker_place(marker: re.Match[str]) -> tuple[int, str]:
    """The place a list marker says ("(2)", "2)", "#2" and "b)" are 2) and its kind."""
    written = marker["paren"] or marker["close"] or marker["hash"]
    place = int(written) if written.isdigit() else ord(written.lower()) - ord("a") + 1
    return place, marker.lastgroup or ""


# A list marker written inside a line: "(1)", "1)" or "a)" (not after a word: "data)"),
# "#1" (not "PR #1": see `_markers_counting_up`), then a value.
_INLINE_MARKER = re.compile(
    r"(?<![\w#(.,/])(?:\((?P<paren>\d{1,2}|[a-j])\)|(?P<close>\d{1,2}|[a-j])\)"
    r"|#(?P<hash>\d{1,2})(?!\d))[ \t]*+(?=[$€£~\d]|[^\W\d_]+\b)"
)
_BLANKS = re.compile(r"[ \t]*+")
_NAME_BEFORE = re.compile(r"[^\W\d_][ \t]*+$")


def _may_hold_a_marker(text: str, start: int, end: int) -> bool:
    """False when `_INLINE_MARKER` cannot match in text[start:end]: each match holds ")"
    or "#"."""
    return text.find(")", start, end) >= 0 or text.find("#", start, end) >= 0


def _skip_blanks(text: str, start: int) -> int:
    return _BLANKS.match(text, start).end()  # type: ignore[union-attr]  # always matches


def _markers_counting_up(
    text: str, start: int, end: int, numbers: set[int]
) -> list[tuple[int, int, int]]:
    """(kr, start, end) of the markers of one kind in text[start:end] that count up from
    1 (or "a") without a gap: "(1) 40 (2) 3 days" names KR1 and KR2; "(2) and (5)" or
    "PR #4" name none. Letters count as their place: "b)" is KR2."""
    found: list[tuple[int, int, int]] = []
    kind = ""
    for marker in _INLINE_MARKER.finditer(text, start, end):
        place, this_kind = _marker_place(marker)
        if found and this_kind != kind:
            continue
        if place != len(found) + 1 or place not in numbers:
            if found:
                break
            continue
        if this_kind == "hash" and _NAME_BEFORE.search(
            text, max(start, marker.start() - 3), marker.start()
        ):
            return []  # "PR #1", "issue #2": the number of a name
        kind = this_kind
        found.append((place, marker.start(), marker.end()))
    return found


def _numbers_listed_on(
    text: str, first: re.Match[str], end: int, numbers: set[int]
) -> list[tuple[int, int, int]]:
    """The list numbers after the first one on its line, written as it is: "1: 7, 2: 8,
    3: 6", "1) 9 hrs, 3) 2" (each after a comma or semicolon, counting up)."""
    delimiter = first[0].rstrip()[-1]
    found: list[tuple[int, int, int]] = []
    last = int(first[1])
    for match in _NEXT_LIST_NUMBER.finditer(text, first.end(), end):
        number = int(match[1])
        if match[2] != delimiter or number <= last or number not in numbers:
            break
        found.append((number, match.start(1), match.end()))
        last = number
    return found


_NEXT_LIST_NUMBER = re.compile(r"(?<=[,;] )(\d{1,2})\s*([.):])\s+")


def _clause_bounds(text: str, start: int, end: int) -> tuple[list[int], list[int]]:
    """Where clauses of text[start:end] begin and end."""
    begins, ends = [start], []
    # A break holds ",", ";", an "and" or "&": most units hold none, and need no search.
    unit = text[start:end]
    if "," in unit or ";" in unit or "&" in unit or any(word in unit for word in _ANDS):
        # Joined across a break only: a correction, or where it stands now after where it
        # stood or what changed, of one key result (no label after: "now 3 days on KR2").
        two = _TWO_NUMBERS.search(unit) is not None
        corrections = _corrections_in(text, start, end, unit) if two else []
        lowered = unit.lower()
        now = two and _STANDS_NOW_HINT.search(lowered) is not None
        last_label = _last_label_start(text, start, end, lowered) if now else end
        no_value_until = start  # no value digit from the clause's start up to here
        for boundary in _CLAUSE_BREAK.finditer(text, start, end):
            if boundary["other_and"]:
                # Looked for once per stretch: a line may hold thousands of them.
                if _VALUE_DIGIT.search(text, max(begins[-1], no_value_until), boundary.start()):
                    no_value_until = begins[-1]
                else:
                    no_value_until = boundary.start()
                    continue  # "Cobertura y calidad: 70%": the "and" of a name, not of values
            if corrections and _joins_a_correction(boundary, corrections):
                continue  # "38, sorry 39" and "9.7% (no wait, 9.9%)" are one clause
            if boundary[0].strip() in ("and", "&") and _one_time(text, begins[-1], boundary):
                continue  # "2 days and 4 hours" is one time
            if (
                now
                and boundary.end() > last_label
                and _gives_way(text, NUMBER_RE.search(text, begins[-1], boundary.start()), boundary)
                and _same_thing_now(text, begins[-1], boundary, end)
            ):
                continue  # "was 36, now 40" and "4 new teams, 38 total" are one clause
            ends.append(boundary.start())
            begins.append(boundary.end())
    ends.append(end)
    return begins, ends


def _corrections_in(text: str, start: int, end: int, unit: str) -> list[re.Match[str]]:
    if not _CORRECTION_HINT.search(unit.lower()):
        return []  # nearly every unit
    return list(_CORRECTION.finditer(text, start, end))


def _same_thing_now(text: str, begin: int, boundary: re.Match[str], end: int) -> bool:
    """Whether the clause after `boundary` says where the same thing stands now as the
    number of the clause before it (from `begin`): in the same unit, or without one ("was
    36 teams, now 40 teams", "was 36, now 40"; not "41 at last count; now 3 days")."""
    said = _STANDS_NOW.match(text, boundary.end(), end)
    if said is None:
        return False
    first = NUMBER_RE.search(text, begin, boundary.start())
    group = "after" if said["after"] else "before"
    now = NUMBER_RE.match(text, said.start(group), said.end(group))
    if first is None or now is None:
        return False
    unit = _WRITTEN_UNIT.match(text, now.end(), end)
    if unit is None or group == "before":
        return True  # "now 40", "38 total"
    before = _WRITTEN_UNIT.match(text, first.end(), boundary.start())
    return before is not None and before[1].lower() == unit[1].lower()


def _joins_a_correction(boundary: re.Match[str], corrections: list[re.Match[str]]) -> bool:
    """Whether a clause break comes right before a correction or inside one. Corrections
    do not overlap: only the last one starting by the break's end can (found by bisection:
    a line may hold thousands)."""
    last = bisect_right(corrections, boundary.end(), key=lambda said: said.start()) - 1
    if last < 0:
        return False
    said = corrections[last]
    return boundary.end() == said.start() or said.start() <= boundary.start() < said.end()


def _last_label_start(text: str, start: int, end: int, lowered: str) -> int:
    """Where the last KR label of text[start:end] starts (-1 without one)."""
    if not _may_hold_a_label(lowered):
        return -1
    return max((label.start() for label in _KR_LABEL.finditer(text, start, end)), default=-1)


def _label_items(
    text: str, start: int, end: int, labels: list[tuple[int, int, int]]
) -> list[_Item]:
    """One item per label: the clause after it if that says something, else the one
    before it ("60% on KR1"), else the (empty) clause after it, for "KR1:\\n38/45"."""
    begins, ends = _clause_bounds(text, start, end)
    items = []
    unsaid: list[int] = []  # the items that say nothing (their label's clause is empty)
    for number, (kr, label_start, label_end) in enumerate(labels):
        next_label = labels[number + 1][1] if number + 1 < len(labels) else end
        previous_label = labels[number - 1][2] if number else start
        # Both lists ascend, `ends` closes with `end` and `begins` opens with `start`, so
        # the first clause end at or after the label and the last clause start at or
        # before it are found by bisection.
        after_end = min(next_label, ends[bisect_left(ends, label_end)])
        before_start = max(previous_label, begins[bisect_right(begins, label_start) - 1])
        if _has_reading(text, label_end, after_end):
            items.append(_Item(kr, label_end, after_end, True))
        elif _has_reading(text, before_start, label_start) and not _SCORE_OVERALL.match(
            text, before_start, label_start
        ):
            if _EXCEPT_BEFORE_LABEL.search(text, before_start, label_start):
                # "no change except KR2, now 3 days": what is said before is of the others,
                # and the label's own reading is in the clause after the break.
                items.append(_Item(kr, label_end, _clause_after(ends, label_end, next_label), True))
            else:
                items.append(_Item(kr, before_start, label_end, True))
        else:
            unsaid.append(number)
            items.append(_Item(kr, label_end, after_end, True))
    if unsaid and len(labels) > 1:
        _share_joined(text, (start, end), labels, items, unsaid)
    return items


# Between two labels that share what is said of them: "KR1 and KR3 high", "KR1/KR3: 8",
# "high on KR1 & KR3".
_LABEL_JOINER = re.compile(r"[ \t]*+(?:[/&+]|and|und|et|y|e|en|og|och)?[ \t]*+", re.I)
# A comma joins labels only in a list of them that opens its line ("KR1, KR3: 8"): in
# "Mostly on KR1, KR2 is at 3 days" it ends what is said of KR1.
_LABEL_COMMA = re.compile(r"[ \t]*+,[ \t]*+")
_LINE_OPENING = re.compile(r"\s*+(?:[-*•][ \t]*+)?")


def _share_joined(
    text: str,
    bounds: tuple[int, int],
    labels: list[tuple[int, int, int]],
    items: list[_Item],
    unsaid: list[int],
) -> None:
    """Give each item in `unsaid` (by index) what the label it is joined to says: the one
    after it ("KR1 and KR3 high"), else the one before it ("high on KR1 and KR3")."""
    start, end = bounds
    empty = set(unsaid)
    # How many labels from the first are a list opening the unit, joined one to the next.
    listed = 0
    if _LINE_OPENING.fullmatch(text, start, labels[0][1]):
        listed = 1
        while listed < len(labels) and (
            _LABEL_JOINER.fullmatch(text, labels[listed - 1][2], labels[listed][1])
            or _LABEL_COMMA.fullmatch(text, labels[listed - 1][2], labels[listed][1])
        ):
            listed += 1

    def joined(first: int, second: int) -> bool:
        between = (text, labels[first][2], labels[second][1])
        return bool(
            _LABEL_JOINER.fullmatch(*between)
            or (second < listed and _LABEL_COMMA.fullmatch(*between))
        )

    # A chain of labels joined one to the next, the last of which says something, read or
    # not: "KR1, KR2 and KR3 high", "KR1 y KR3 alta" (a word for high that is read only
    # right after a label). Its values may run on past the clause: "44 and 25 deals".
    last = len(items) - 1
    while last > 0:
        first = last
        said = items[last]
        if last not in empty or text[said.start : said.end].strip():
            while first > 0 and first - 1 in empty and joined(first - 1, first):
                first -= 1
        if first < last:
            reach = labels[last + 1][1] if last + 1 < len(labels) else end
            _share(text, labels, items, range(first, last + 1), said, (said.start, reach))
            empty.difference_update(range(first, last))
        last = first - 1
    # Else what the label before says: "high on KR1 and KR3", "44 and 25 on KR1 and KR3".
    for number in sorted(empty):
        before = number - 1
        if before >= 0 and before not in empty and joined(before, number):
            chain = [before, number]
            while chain[-1] + 1 in empty and joined(chain[-1], chain[-1] + 1):
                chain.append(chain[-1] + 1)
            said = items[before]
            reach = labels[before - 1][2] if before else start
            _share(text, labels, items, chain, said, (reach, said.end))
            empty.difference_update(chain)


def _share(
    text: str,
    labels: list[tuple[int, int, int]],
    items: list[_Item],
    chain: Sequence[int],
    said: _Item,
    reach: tuple[int, int],
) -> None:
    """Give the items of `chain` (indexes of joined labels) what `said` says: all of it
    when it holds one value or score ("KR1 and KR3 high"), one each in order when it holds
    a list of one per label, which may run on within `reach` ("KR1 and KR3 are 44 and 25
    deals"), and nothing when it holds another number of them (the confirmation asks)."""
    pieces = _one_value_each(text, (said.start, said.end), reach, len(chain))
    if pieces is None:
        for number in chain:
            items[number] = _Item(labels[number][0], said.start, said.end, True)
        return
    for number, (piece_start, piece_end) in zip(chain, pieces, strict=False):
        items[number] = _Item(labels[number][0], piece_start, piece_end, True)


# Between two numbers of one value: "40/45", "8 of 10", "7 out of 10".
_WITHIN_A_VALUE = re.compile(r"[ \t]*+(?:/|of|out of)[ \t]*+", re.I)
# Between two values of a list, after the first's unit: "44 and 25", "40% & 70%", "3 days,
# 4"; a list ends with an "and" (in "40, 3 weeks in" the comma ends the value).
_BETWEEN_VALUES = re.compile(
    r"(?P<unit>[ \t]*+(?:%|[^\W\d_]+))?[ \t]*+(?:(?P<comma>,)|and|&|und|et|y|e|en|og|och)"
    r"[ \t]*+",
    re.I,
)
_VALUE_END = re.compile(r"[ \t]*+(?:%|[^\W\d_]+\b)?")


def _values_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Where the values and scores of text[start:end] are, a ratio ("40/45") as one."""
    found: list[tuple[int, int]] = []
    if _DIGIT.search(text, start, end):
        asides = _Spans(aside_numbers(text, start, end))
        found += [
            number.span()
            for number in NUMBER_RE.finditer(text, start, end)
            if not _inside(number, asides)
        ]
    if _ANY_SCORE_WORD.search(text, start, end):
        found += [word.span() for word in _ANY_SCORE_WORD.finditer(text, start, end)]
    found.sort()
    values: list[tuple[int, int]] = []
    for value_start, value_end in found:
        if values and _WITHIN_A_VALUE.fullmatch(text, values[-1][1], value_start):
            values[-1] = (values[-1][0], value_end)
        else:
            values.append((value_start, value_end))
    return values


def _one_value_each(
    text: str, said: tuple[int, int], reach: tuple[int, int], count: int
) -> list[tuple[int, int]] | None:
    """text[said] and the list of values it is part of within `reach`, cut into `count`
    stretches of one value each, in order, when the list holds that many; None when it
    holds one or none (what is said is every label's); no stretches for another number."""
    values = _values_in(text, *reach)
    # The run of values joined into a list that holds one said.
    runs: list[list[tuple[int, int]]] = []
    last_joiner: list[re.Match[str] | None] = []
    for value in values:
        between = _BETWEEN_VALUES.fullmatch(text, runs[-1][-1][1], value[0]) if runs else None
        if between is None:
            runs.append([value])
            last_joiner.append(None)
        else:
            runs[-1].append(value)
            last_joiner[-1] = between
    held = [
        (run, joiner)
        for run, joiner in zip(runs, last_joiner, strict=True)
        if any(said[0] <= value[0] < said[1] for value in run)
    ]
    if not held:
        return None
    run, joiner = held[0]
    if len(run) == 1 or joiner is None or joiner["comma"]:
        inside = [value for value in values if said[0] <= value[0] < said[1]]
        return None if len(inside) <= 1 else []
    if len(run) != count:
        return []
    pieces = []
    piece_start = min(said[0], run[0][0])
    for value, next_value in pairwise(run):
        piece_end = _VALUE_END.match(text, value[1], next_value[0])
        pieces.append((piece_start, piece_end.end() if piece_end else value[1]))
        piece_start = next_value[0]
    clause_end = _CLAUSE_BREAK.search(text, run[-1][1], reach[1])
    pieces.append((piece_start, max(said[1], clause_end.start() if clause_end else reach[1])))
    return pieces


def _clause_after(ends: list[int], label_end: int, next_label: int) -> int:
    """Where the clause after the one a label ends ends: "KR2, now 3 days" holds the
    label's value in the clause after the (empty) one it closes."""
    index = bisect_left(ends, label_end)
    return min(next_label, ends[min(index + 1, len(ends) - 1)])


# Said of all key results, not of the label after it: "7 overall (KR3 is the risk)".
_OVERALL = (
    r"overall|all in all|insgesamt|gesamt|global(?:e|ement)?|en général|en general|no geral"
    r"|algemeen|nel complesso"
)
# A score said of all key results, and nothing more, before a label: "7 overall (KR3 is
# the risk)", "overall 8, KR3". Not a value: "Overall 14 setups on KR3".
_SCORE_OVERALL = re.compile(
    rf"\W*+(?:(?:10|[1-9])(?:/10)?\s*+(?:{_OVERALL})|(?:{_OVERALL})\s*+:?\s*+(?:10|[1-9])"
    r"(?:/10)?)\b[\W_]*+$",
    re.I,
)


def _clause_items(text: str, start: int, end: int, distinctive: dict[int, set[str]]) -> list[_Item]:
    if _CLAUSE_BREAK.fullmatch(text, start, end):
        # One break and nothing else (the ", " between "KR1 8" and "KR2 5"): its clauses,
        # before and after the break, are empty. The break's alternatives start with
        # different characters and their repeats are greedy, so the search that
        # `_clause_bounds` runs finds this same whole break.
        return []
    items = []
    for begin, stop in zip(*_clause_bounds(text, start, end), strict=True):
        if text[begin:stop].strip():
            kr = _kr_by_name(text[begin:stop], distinctive)
            items.append(_Item(kr, begin, stop, False, named=kr is not None))
    return items


def _gaps(start: int, end: int, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The stretches of [start, end) that no (start, end) in `taken` covers."""
    gaps, position = [], start
    # Sorted as pairs: among stretches with the same start, the order changes nothing.
    for taken_start, taken_end in sorted(taken):
        if taken_start > position:
            gaps.append((position, taken_start))
        position = max(position, taken_end)
    if position < end:
        gaps.append((position, end))
    return gaps


def _items_of(
    text: str, key_results: Sequence[KeyResultRef], *, listed: bool, kr_number: int | None = None
) -> list[_Item]:
    """Cut a passage into items, each about at most one key result (see module docs).

    `kr_number`: the passage is known to be about that key result (an answer written
    under its line in the quoted prompt), so items naming none are about it.
    """
    numbers = {kr.number for kr in key_results}
    distinctive = _distinctive_stems(key_results)
    items = [
        item
        for start, end in _units(text)
        for item in _unit_items(text, start, end, numbers, distinctive, listed)
    ]
    items.sort(key=lambda item: item.start)
    if kr_number is not None:
        items = [
            item if item.kr else _Item(kr_number, item.start, item.end, True) for item in items
        ]
    return items


def _unit_items(
    text: str,
    start: int,
    end: int,
    numbers: set[int],
    distinctive: dict[int, set[str]],
    listed: bool,
) -> list[_Item]:
    """The items of one unit, text[start:end] (a unit's items depend on it alone)."""
    labels = _labels(text, start, end, numbers, listed)
    items = _label_items(text, start, end, labels) if labels else []
    taken = [(item.start, item.end) for item in items]
    taken += [(begin, stop) for _, begin, stop in labels]
    for gap_start, gap_end in _gaps(start, end, taken):
        items.extend(_clause_items(text, gap_start, gap_end, distinctive))
    return items


# How far a label's item may grow by taking in the items after it: "KR1:" and its value
# on the next line, not a whole pasted log (each step re-reads the grown item).
_MAX_CONTINUED = 500


def _merge_continuations(items: list[_Item], text: str) -> list[_Item]:
    """ "KR1:" on one line and "38/45" on the next are one item."""
    merged: list[_Item] = []
    # Whether the last merged item says nothing yet (None: not asked yet, as most are never
    # asked). What it took in is asked of alone, as a grown item says something only where
    # a part of it does: a line of thousands of clauses is one pass, not one per clause over
    # all taken in so far.
    unread: bool | None = None
    last_part = (0, 0)
    for item in items:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.labelled
            and item.kr is None
            and previous.end - previous.start <= _MAX_CONTINUED
        ):
            if unread is None:
                unread = not _has_reading(text, *last_part) or _same_then_a_number(
                    text, last_part, item
                )
            if unread:
                merged[-1] = _Item(previous.kr, previous.start, item.end, True)
                unread, last_part = None, (item.start, item.end)
                continue
        merged.append(item)
        unread, last_part = None, (item.start, item.end)
    return merged


def _bare_same(reading: ProgressReading) -> bool:
    return reading.status == "no-change" and reading.span.text.lower() == "same"


def _same_then_a_number(text: str, part: tuple[int, int], after: _Item) -> bool:
    """Whether text[part] says only a bare "same" and the item after it a number: "KR1
    same, 41 now" is 41, the number typed after it."""
    if _DIGIT.search(text, *part) or not _DIGIT.search(text, after.start, after.end):
        return False
    same = _NO_CHANGE.search(text, *part)
    return same is not None and same[0].lower() == "same"


def _assign_by_order(
    items: list[_Item], text: str, count: int, readable: Callable[[str, int, int], bool]
) -> list[_Item]:
    """Items with a value, as many as there are key results, are KR1, KR2, ... in order:
    those naming none, and those naming the one at their place ("40, 2 days, 60%", where
    the days name KR2); one named out of its place, or any by a label ("KR1 41. May reach
    45 next week"), leaves them all as they are."""
    if count < 1 or all(item.kr is not None for item in items):
        return items
    if any(item.labelled for item in items if item.kr is not None):
        return items
    said = [readable(text, item.start, item.end) for item in items]
    if sum(said) != count:
        return items
    numbers = iter(range(1, count + 1))
    placed = []
    for item, readable_item in zip(items, said, strict=True):
        if not readable_item:
            placed.append(item)
            continue
        number = next(numbers)
        if item.kr is None:
            placed.append(_Item(number, item.start, item.end, False))
        elif item.kr == number:
            placed.append(item)
        else:
            return items
    return placed


# -- progress -------------------------------------------------------------------------------

# "of" and "per cent" also as written in German, French, Spanish, Dutch, Italian and
# Portuguese ("38 von 45", "60 Prozent"), and a change "from … to" ("von 30 auf 38", "de 30
# à 38"): read as English's, not as their first bare number (30, a value, for "von 30 auf
# 38"; 60 as a value for "60 Prozent"); see `_weak` for those that are everyday words.
_OF = r"(?:/|\b(?:out\s+of|of|von|sur|de|van|su)\b)"
_PER_CENT = (
    r"(?:%|\b(?:per\s?cent|pct|prozent|pour\s?cent|por\s?ciento|por\s?cento|per\s?cento"
    r"|procent)\b)"
)
_RATIO_FORM = rf"({NUMBER})\s*{_OF}\s*({NUMBER})"
_PERCENT_FORM = rf"({NUMBER})\s*{_PER_CENT}"
# "to" words that are a change only after a "from" word ("da 30 a 38"; "a" alone is not
# one). The from word is a group of its own: the conditional asks whether it was there.
# Not "bis", "tot", "hasta": "von 9 bis 12 Uhr" is a range (a change says "auf", "naar").
# Either number may carry a sign ("from -10 to -3", "-4 -> +2", of an NPS), the number's:
# `_explicit_reading` reads no negative value of a key result that cannot have one.
_SIGNED_NUMBER = rf"(?:(?<![\w.,])[-−+](?=[$€£\d]))?{NUMBER}"
# Units of time, in seconds: a value written in another than the key result's is converted
# ("0.45 s" of a key result in ms is 450, "45 min" of one in hours 0.75).
_SECONDS = {
    **dict.fromkeys(("ms", "msec", "millisecond", "milliseconds"), Decimal("0.001")),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds", "sek", "seg"), Decimal(1)),
    **dict.fromkeys(("min", "mins", "minute", "minutes", "minuten", "minutos"), Decimal(60)),
    **dict.fromkeys(
        ("h", "hr", "hrs", "hour", "hours", "std", "stunde", "stunden", "heure", "heures",
         "hora", "horas", "uur"),
        Decimal(3600),
    ),
    **dict.fromkeys(
        ("d", "day", "days", "tag", "tage", "tagen", "jour", "jours", "día", "días", "dia",
         "dias", "dag", "dagen"),
        Decimal(86400),
    ),
    **dict.fromkeys(
        ("wk", "wks", "week", "weeks", "woche", "wochen", "semaine", "semaines", "semana",
         "semanas"),
        Decimal(604800),
    ),
}  # fmt: skip
# Any of them, as a pattern (longest first: "mins" is not "min" and an "s").
_TIME_UNIT = "|".join(re.escape(unit) for unit in sorted(_SECONDS, key=len, reverse=True))
_FROM_TO_FORM = (
    # A change starts with a number or a from word: the lookahead fails at once elsewhere.
    rf"(?=[$€£\dfvdFVD\-−+])(?:\b(?P<from_word>from|von|de|van|da|desde)\s+)?({_SIGNED_NUMBER})"
    # The first value may carry its unit too, when the second has it or (of time) another:
    # "from 9 s to 6.4 s", "5h -> 4h", "from 4 days to 36 hours"; not "4 teams to 45".
    rf"(?:\s*+(?:(?P<time_unit>{_TIME_UNIT})(?!\w)|(?P<unit>%|[^\W\d_]{{1,12}}+))\.?)?"
    r"\s*(?:->|→|=>|\b(?:to|auf|naar)\b|(?(from_word)\b(?:à|a|al|para)\b|(?!)))"
    rf"\s*({_SIGNED_NUMBER})"
    r"(?(unit)(?=\s*+(?P=unit)(?!\w)))"
    rf"(?(time_unit)(?=\s*+(?:{_TIME_UNIT})(?!\w)))"
)
_RATIO = re.compile(_RATIO_FORM, re.I)
_PERCENT = re.compile(_PERCENT_FORM, re.I)
_FROM_TO = re.compile(_FROM_TO_FORM, re.I)
_TO = 5  # the group of `_FROM_TO` that holds where it went
# The three in one pattern. Its first match is the first match of any of them (at the
# same place, the earlier alternative wins, as `_progress_in` wants), in one search
# instead of three full scans. Groups: 1 a ratio (2, 3 its numbers), 4 a percentage (5),
# 6 a change (7 its "from" word, 8 from, 9 and 10 the unit of time or other unit said
# with it, 11 to).
_EXPLICIT = re.compile(f"({_RATIO_FORM})|({_PERCENT_FORM})|({_FROM_TO_FORM})", re.I)
# The first two of them, with the same groups: where no change can match (most stretches,
# see `_may_hold_a_change`), its first match is `_EXPLICIT`'s, found without trying a change
# at every number (the costliest of the three to fail).
_RATIO_OR_PERCENT = re.compile(f"({_RATIO_FORM})|({_PERCENT_FORM})", re.I)
# For each alternative (by the number of its group): the pattern, and the group of the
# number read as the value (or the share, for a percentage).
_EXPLICIT_KINDS = {1: (_RATIO, 2), 4: (_PERCENT, 5), 6: (_FROM_TO, 11)}
# Done, and no change, also as written in the languages of our corpus's mail clients
# (German, French, Spanish, Dutch, Italian, Portuguese): the questions are English, but
# people often answer in their own.
_DONE = re.compile(
    r"\b(?:done|completed?|finished|achieved|hit it|nailed it"
    r"|erledigt|fertig|abgeschlossen|geschafft|erreicht"
    r"|termin[ée]e?s?|finie?s?|atteinte?s?|accomplie?s?"
    r"|terminad[oa]s?|completad[oa]s?|logrado|conseguido|listo"
    r"|klaar|gedaan|afgerond|behaald|bereikt"
    r"|fatto|completat[oa]|raggiunt[oa]|finit[oa]"
    r"|conclu[íi]d[oa]|feito|atingid[oa]|alcan[çc]ad[oa])\b",
    re.I,
)
# A negation or a hedge just before "done" in its clause ("not done", "almost done",
# "noch nicht erledigt", "pas encore terminé"), or a plan ("will be done", "should be
# finished", "needs to be done", "bis Freitag erledigt", "sera terminé"): not done. A
# clause mark or a dash between words ends the reach ("No problem - done"); a hyphen
# inside a word does not ("half-done").
_BETWEEN_WORDS = r"(?:[^\w,;.!?–—-]|(?<=\w)-(?=\w|$))+"
_NOT_DONE_BEFORE = re.compile(
    r"(?:\b(?:not|never|almost|nearly|half|partly|partially|mostly|hardly|barely|basically"
    r"|largely|practically|virtually|will|shall"
    # A share of it: "a third done", "halfway done", "à moitié fini" (not "the quarter goal
    # done"; a part said done, "the design part is done", is often the last one)
    r"|halfway|half-way|midway|part-?way|(?:a|one|two|three|four)\s+(?:thirds?|quarters?|fifths?)"
    r"|moitié|mitad|metà|metade|helft|hälfte"
    r"|should|would|could|might|must|gonna|needs?|yet(?=\s+to\b)"
    r"|nicht|kaum|halb|presque|casi|niet|bijna|quasi|n[ãa]o|quase|bis|wird|werden|sera|será|wordt|sarà|no|(?-i:[Pp]as)|non(?!-))\b"
    r"|n[’']t\b|[’']ll\b)(?:" + _BETWEEN_WORDS + r"\w+){0,2}?" + _BETWEEN_WORDS + r"$"
    # German "fast" (almost) only right before the word: "fast fertig", not "fast-tracked";
    # "nothing" too: "nothing done yet", "noch nichts erledigt", not "nothing new: done".
    r"|\b(?:fast|nothing|nichts|rien|nada|niets|niente|nulla)\s+$",
    re.I,
)
# "done by Friday", "finished by the end of this month": a plan, unless said in the past
# ("was completed by Thursday"). Not "done by Monica's team".
_DONE_BY = re.compile(
    r"\s+by\s+(?:the\s+)?(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?"
    r"|tomorrow|tonight|next\s+\w+|end\s+of\s+(?:the|this|next)\s+\w+|eo[dwmq]"
    r"|\d{1,2}(?:st|nd|rd|th)?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)\b",
    re.I,
)
_IN_THE_PAST = re.compile(r"\b(?:was|were|been|got|had|already)\s+(?:\w+\s+)?$", re.I)
_NO_CHANGE = re.compile(
    r"\b(?:no change|unchanged|same as (?:last|before|previous)(?: \w+)?|no progress|"
    r"not changed|hasn't changed|no movement|flat|as before"
    # "KR2 same", "about the same.": at the end of what is said of it (not "not the same")
    r"|(?<!\bnot )(?<!\bnot the )(?<!n't the )(?<!\bnever the )same(?=[ \t]*+(?:[,;.!)\n]|$))"
    r"|keine (?:Änderung|Veränderung)(?:en)?|unverändert|gleich geblieben"
    r"|(?:aucun|pas de|sans) changement|inchangée?s?"
    r"|sin cambios?|ning[úu]n cambio|igual que antes"
    r"|geen (?:verandering|wijziging)(?:en)?|ongewijzigd|onveranderd"
    r"|nessun[oa]? (?:cambiamento|variazione)|invariat[oa]"
    r"|sem (?:altera[çc](?:[ãa]o|[õo]es)|mudan[çc]as?)|inalterad[oa])\b",
    re.I,
)
_PERCENT_UNITS = {"%", "percent", "pct", "per cent"}
# Talk about confidence is not progress ("38/45, confidence 8"): blanked before reading.
_CONFIDENCE_WORD = re.compile(
    r"\b(?:confiden\w*|confian\w*|zuversicht\w*|vertrauen\w*|vertrouwen|fiducia"
    # "conf 8", "KR2 conf: 7", "conf KR2 7"; not "conf call at 3", "the conf 2 weeks ago"
    r"|(?<!the )(?<!a )(?<!this )(?<!that )(?<!our )(?<!at )"
    r"conf(?=\.?\s*+[:=]?\s*+(?:kr\s*\d|(?:10|[1-9])(?:\s*/\s*10)?(?![\d.,%]"
    r"|\s+(?:weeks?|days?|months?|years?|more|new|of|from|to|and)\b))))\b",
    re.I,
)


_ASKED = re.compile(r"\s*\?")
# "except", in the languages we read: "done except for Siemens", "nothing blocking except
# the firewall change" (see `_EXCEPT`).
_EXCEPT_WORDS = (
    r"(?:(?:except|apart from|but for|other than|besides|save for|au(?:ß|ss)er|sauf|excepto"
    r"|salvo|behalve|tranne|exceto|förutom|bortsett från)"
    r"(?!\s+(?:that|this|dem|cela|eso|dat|isso)\b)"  # not "apart from that": otherwise
    # but "except that KR2 is 3 days" names the one (the label may be just past the end
    # of the text searched, which stops where the label starts)
    r"|except\s+that(?=\s+(?:KR|key[\s-]*result)\s*#?\s*\d|\s*+$))"
)
_BUT_FOR = re.compile(rf"\W*+(?:{_EXCEPT_WORDS})\b", re.I)
# "except" right before a label: "no change except KR2", "all done but for KR3".
_EXCEPT_BEFORE_LABEL = re.compile(rf"\b{_EXCEPT_WORDS}\s*+(?:for\s+|of\s+)?$", re.I)
# A number (of things) right before "done": "8 services done", "3 of them finished".
_COUNTED_DONE = re.compile(
    rf"(?<![\w.,]){NUMBER}(?:\s+[^\W\d_]+){{0,2}}\s+(?:are\s+|now\s+)?$", re.I
)


def said_done(text: str, start: int = 0, end: int | None = None) -> re.Match[str] | None:
    """The first "done" in text[start:end] that is not negated, hedged or planned."""
    end = len(text) if end is None else end
    for done in _DONE.finditer(text, start, end):
        if _NOT_DONE_BEFORE.search(text, max(start, done.start() - 40), done.start()):
            continue
        if _ASKED.match(text, done.end(), end):
            continue  # "Objectif atteint ? Pas encore": a question
        if _BUT_FOR.match(text, done.end(), end):
            continue  # "done except for Siemens and Bosch": not all of it
        if _COUNTED_DONE.search(text, max(start, done.start() - 40), done.start()):
            continue  # "8 services done": that many, not all
        planned = _DONE_BY.match(text, done.end(), end)
        if planned and not _IN_THE_PAST.search(text, max(start, done.start() - 30), done.start()):
            continue
        return done
    return None


def _has_reading(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] says something a progress or confidence answer can read: a
    number or a score that is not a name's, a date's or a target's ("KR1 Goal: 45, now 38",
    "KR1: target 2, now 3" are KR1 with its value after the goal), done or no change. (Read
    in its text: its lines are those `_progress_in` reads, and their asides are found once.)
    """
    # Cheapest first: most clauses hold a number that is no aside.
    number = NUMBER_RE.search(text, start, end)
    asides = _Spans(aside_numbers(text, start, end)) if number is not None else None
    if number is not None and not asides:
        return True
    if asides and any(not _inside(found, asides) for found in NUMBER_RE.finditer(text, start, end)):
        return True
    part = text[start:end]
    if _DONE.search(part) or _NO_CHANGE.search(part):
        return True
    if not _has_score(part):
        return False
    asides = asides if asides is not None else _Spans(aside_numbers(text, start, end))
    return any(not _inside(found, asides) for _, found in _scores(text, start, end))


def _without_confidence_talk(text: str, key_results: Sequence[KeyResultRef]) -> str:
    """The text with every "confidence …" stretch (see `_talk_end`) blanked out (same
    length, so offsets still hold)."""
    if not says_confidence(text):
        return text  # a sentence can only say it where the whole text does
    chars = list(text)
    for talk in _talks(text, key_results):
        start = talk.keyword.start()
        chars[start : talk.end] = " " * (talk.end - start)
    return "".join(chars)


@dataclass(frozen=True, slots=True)
class _Talk:
    """Confidence talk: text[keyword.start():end] in the unit starting at `unit_start`,
    whose talk before it (if any) stopped at `after`."""

    unit_start: int
    after: int
    keyword: re.Match[str]
    end: int
    items: _UnitItems


def _talks(text: str, key_results: Sequence[KeyResultRef]) -> Iterator[_Talk]:
    """Each stretch of confidence talk in `text`, unit by unit (see `_talk_end`); a keyword
    inside the talk of one before it opens none ("Confidence 7 (confidence is down)")."""
    numbers = {kr.number for kr in key_results}
    distinctive = _distinctive_stems(key_results)
    for start, unit_end in _units(text):
        items: _UnitItems | None = None
        reached = start
        for keyword in _CONFIDENCE_WORD.finditer(text, start, unit_end):
            if keyword.start() < reached:
                continue
            # Only the units that say it are cut into items (as `_items_of` cuts them).
            if items is None:
                items = _UnitItems(text, start, unit_end, numbers, distinctive)
            end = _talk_end(text, start, keyword, unit_end, items)
            yield _Talk(start, reached, keyword, end, items)
            reached = end
            if reached == unit_end:
                break


# Tests run on a lowercased text before searching it with a case-insensitive pattern, as
# most texts hold no match and the test is far cheaper than a search that fails. They
# hold wherever the pattern matches: every character that `re.IGNORECASE` matches with a
# letter of theirs lowercases to that letter (true of every ASCII letter but "i", which
# also matches "İ" and "ı", and "s", which also matches "ſ": the tests use neither), and
# lowercasing maps characters one by one.


def _may_hold_a_label(lowered: str) -> bool:
    """False when `_KR_LABEL` cannot match: each of its matches holds "kr" or "key"."""
    return "kr" in lowered or "key" in lowered


def without_labels(text: str) -> str:
    """`text` without key-result labels and words for confidence ("KR2", "Zuversicht"):
    once its values are taken out too, a line that only gave values is left with nothing
    but punctuation (`answer_view.note_shown`)."""
    return _CONFIDENCE_WORD.sub(" ", _KR_LABEL.sub(" ", text))


def says_confidence(text: str) -> bool:
    """Whether `_CONFIDENCE_WORD` matches somewhere in `text` (each match holds "conf",
    "zuver", "vertr" or "duc").

    When not, `_confidence_talk` finds nothing for sure: away from a confidence answer
    only scores said with the word "confidence" count, or a status right after a key
    result's label (`says_status`)."""
    lowered = text.lower()
    maybe = "conf" in lowered or "zuver" in lowered or "vertr" in lowered or "duc" in lowered
    return maybe and _CONFIDENCE_WORD.search(text) is not None


# A status right after a key result's label, in the same clause: "KR2 is at risk", "KR1:
# on track", "KR3 🔴", "KR1 (8/10)". Words that also mean other things there ("KR1 high
# priority", "KR2 green light") are left to a confidence answer or the word "confidence".
# Possessive repeats (*+, ++): runs of blanks are never given back, so a long run after a
# label costs one pass, not one per way of splitting it.
_KR_STATUS = re.compile(
    r"\b(?:KR|key[\s-]*result)\s*#?\s*(?P<kr>\d{1,2})\b[\s:,–-]*+"
    r"(?:(?:is|looks|feels|seems)\s++(?:\w+\s++)?)?\(?\s*+"
    r"(?P<status>on[\s-]track|at[\s-]risk|off[\s-]track|[\U0001f7e2\U0001f7e1\U0001f7e0\U0001f534]"
    r"|(?:10|[1-9])\s*/\s*10\b)",
    re.I,
)


def says_status(text: str) -> bool:
    """Whether `_KR_STATUS` matches somewhere in `text`."""
    return _may_hold_a_label(text.lower()) and _KR_STATUS.search(text) is not None


def _statuses(text: str, key_results: Sequence[KeyResultRef]) -> list[ConfidenceReading]:
    """A confidence for each key result whose label a status follows (the first one)."""
    if not says_status(text):
        return []
    by_number = {kr.number: kr for kr in key_results}
    readings: dict[int, ConfidenceReading] = {}
    for match in _KR_STATUS.finditer(text):
        number, kr = int(match["kr"]), by_number.get(int(match["kr"]))
        if kr is None or number in readings:
            continue
        if match["status"].endswith("10") and kr.target == 10:
            continue  # "KR1 8/10" of a key result whose target is 10 is its progress
        found = _scores(text, match.start("status"), match.end("status"))
        if found:
            readings[number] = _confidence(number, found[0])
    return list(readings.values())


def _may_hold_explicit(lowered: str) -> bool:
    """False when `_EXPLICIT` (or any of its three forms) cannot match: it holds one of
    these (a ratio "/" or an "of" word, a percentage "%" or a "per cent" word, a change
    ">", "→", a "to" word or the "from" word a conditional "to" word needs)."""
    return _EXPLICIT_HINT.search(lowered) is not None


def _may_hold_a_change(lowered: str) -> bool:
    """False when `_FROM_TO` cannot match: each of its matches holds an arrow ("->", "→",
    "=>", all with ">" but one), a "to" word ("to", "auf", "naar"), or the "from" word
    ("from", "von", "de", "van", "da", "desde") that its other "to" words need."""
    return _FROM_TO_HINT.search(lowered) is not None


_FROM_TO_HINT = re.compile(r">|→|to|auf|naar|from|von|de|van|da")


# One search for any of them: a C loop, cheaper than a test per hint.
_EXPLICIT_HINT = re.compile(
    "|".join(
        re.escape(hint)
        for hint in ("/", "%", ">", "→", "of", "to", "per", "pct", "von", "su", "de", "van",
                     "da", "from", "cent", "prozent", "ciento", "auf", "naar")
    )
)  # fmt: skip


def _progress_in(
    text: str,
    start: int,
    end: int,
    kr: KeyResultRef,
    bare: bool,
    named: bool = False,
    passed_over: range | None = None,
    corrections: bool = True,
) -> ProgressReading | None:
    """The progress statement in text[start:end]: the first explicit one (38/45, 60%,
    30 -> 38), else a bare number (when `bare`), else done, else no change; after a
    correction, the value it gives (when `corrections`).

    named: the text names the key result by its title, so the title's own numbers
    ("from 30 to 45 teams") are the title, not progress. passed_over: a stretch read as
    something else (see `_may_be_a_date`).
    """
    corrected = _corrected(text, start, end, kr, bare, named, passed_over) if corrections else None
    if corrected is not None:
        return corrected
    # Numbers are parsed only to compare them with the title's, when it has any.
    ignored = _title_numbers(kr) if named else frozenset()
    # Scores out of ten, dates, the numbers of names, changes since last time, what is
    # left to go and what is planned are not where it stands now.
    changes = _changes(text, start, end, kr)
    names = aside_numbers(text, start, end, kr)
    plans = _planned(text, start, end)
    skipped = _Spans(
        _scores_out_of_ten(text, start, end, kr)
        + dates_in(text, start, end)
        + names
        + changes
        + _remaining(text, start, end)
        + [range(plan.start("number"), plan.end("number")) for plan in plans]
        + ([passed_over] if passed_over else [])
        + (_ranges(_STRUCK, text, start, end) if text.find("~~", start, end) >= 0 else [])
    )
    # What follows a plan is the plan's ("hoping for 45 by Dec, 3 teams in the pipeline",
    # "should be down to 2 days in 3 weeks"): a value is said before it, or said to stand
    # now after it ("should be at 41 before the holidays, currently 38").
    said_until = plans[0].start() if plans else end
    lowered = text[start:said_until].lower()
    explicit = (
        _first_explicit(text, start, said_until, ignored, skipped, _may_hold_a_change(lowered))
        if _may_hold_explicit(lowered)  # else there is no explicit form
        else None
    )
    if (
        explicit
        and not _weak(explicit)
        and not _share_of_a_value(text, start, explicit, kr)
        and not _ratio_after_a_value(text, start, explicit, kr, skipped)
    ):
        if passed_over is None and _may_be_a_date(explicit, kr):
            # "41 (11/15 update)", "done 11/15": a date, when a number before it or a
            # "done" says where it stands (not "7/12 services above 80%": a ratio).
            instead = _progress_in(
                text, start, end, kr, bare, named, range(explicit.start(), explicit.end())
            )
            if instead is not None and (
                instead.status in ("done", "no-change") or instead.span.start < explicit.start()
            ):
                return instead
        against_target = _ratio_against_target(text, explicit, end, kr, skipped)
        return _explicit_reading(
            kr, *_explicit_kind(against_target or explicit), against_target or explicit
        )
    number = _first_number(text, start, said_until, ignored, skipped) if bare else None
    if number is None and explicit is None and plans:
        number = _said_to_stand_now(text, said_until, end, skipped, kr)
    if number is not None and _said_before_now(text, number):
        # "was 36 last Monday, now 40", "4 new teams this week, 38 total": a number said to
        # be where it stands now wins over one said to be where it stood. Without one, a
        # number said to be where it stood is no reading ("KR1 was 36 last week"): read
        # as the value it would be silently wrong, so the confirmation asks for it.
        now = _said_to_stand_now(text, number.end(), end, skipped, kr)
        if now is not None:
            number = now
        elif _said_in_the_past(text, number):
            number = None
    elif (
        number is not None
        and _counts_things(text, number)
        and not _in_its_unit(text, number.start(), end, kr)
    ):
        # "closed 2 deals, total €240k": a count of other things than the key result's
        # gives way to a number said to stand now in its unit or none.
        number = _said_to_stand_now(text, number.end(), end, skipped, kr) or number
    if number and changes and number.start() > changes[0].start:
        # After a change, only a number said to be where it stands: "+3 (now 37)", not
        # the 200 of "added 3 teams from the EMEA 200 list".
        stands = _STANDS_AT.search(text, start, number.start()) or _WENT_TO.match(
            text, changes[0].start, number.start()
        )
        number = number if stands else None
    # Said with a word that also says other things, it loses to a number before it:
    # "38 equipos (de 2 a 3 por semana)", "38 Teams (4 von 5 aus Berlin)" are 38.
    if explicit and not (number and number.start() < explicit.start()):
        return _explicit_reading(kr, *_explicit_kind(explicit), explicit)
    if number:
        value = _in_the_unit_of(kr, value_of(number[0], kr), text, number.end(), end)
        spaced = SPACED.match(number[0])
        # "38 120 new signups" read as 38: the reading is "38", not the run.
        length = spaced.end("first") if spaced and value == Decimal(spaced["first"]) else None
        parts = _compound_time(kr, text, number.end(), end)
        if parts is not None:
            length = parts.end() - number.start()  # "3h 30m" is read whole: so is its span
        if value is not None and _negative(text, number.start(), kr):
            return _reading(kr, -value, None, "value", number, length, signed=True)  # "NPS -5"
        return _reading(kr, value, None, "value", number, length)
    done = said_done(text, start, end)
    if done and not about_a_name(text, done.start()):  # not "Sprint 23 done"
        return _reading(kr, kr.target, Decimal(100), "done", done)
    same = _NO_CHANGE.search(text, start, end)
    if same:
        return _reading(kr, kr.current, None, "no-change", same)
    return None


# A value, in the key result's unit or none, then a bracket opening on a percentage: "40
# (89%)", "40 teams (67% of the way)", "40 (~89%)". The value is what was counted; the
# share says it again less exactly (or of another base), so the value wins.
_VALUE_THEN_BRACKET = re.compile(
    rf"(?<![\w.,])(?P<number>{NUMBER})(?P<unit>\s*+[^\W\d_]++)?\s*+\(\s*+(?:~|ca\.?\s|about\s)?\s*+$",
    re.I,
)
_BRACKET_REACH = 40  # how far before the percentage its value may start


def _share_of_a_value(text: str, start: int, explicit: re.Match[str], kr: KeyResultRef) -> bool:
    """Whether `explicit` is a percentage in brackets right after a value of `kr` (see
    `_VALUE_THEN_BRACKET`), which the value's own reading then wins over."""
    at = explicit.start()
    if text.rfind("(", max(start, at - 6), at) < 0:
        return False  # nearly every explicit form: no bracket right before it
    if _explicit_kind(explicit)[0] is not _PERCENT or kr.unit.strip().lower() in _PERCENT_UNITS:
        return False  # "64 (80%)" of coverage: which is the value is not clear
    said = _VALUE_THEN_BRACKET.search(text, max(start, at - _BRACKET_REACH), at)
    if said is None:
        return False
    return said["unit"] is None or _only_its_unit(text, said.end("number"), at, kr)


def _ratio_after_a_value(
    text: str, start: int, explicit: re.Match[str], kr: KeyResultRef, skipped: _Spans
) -> bool:
    """Whether `explicit` is a ratio not against the key result's target after a value
    written with the key result's unit ("420 ms on 3 of 4 regions": 420 ms, not 3): the
    value then wins (`_progress_in` reads the number before the ratio)."""
    unit = kr.unit.strip().lower()
    if not unit or unit in _PERCENT_UNITS or _explicit_kind(explicit)[0] is not _RATIO:
        return False
    ratio = _RATIO.fullmatch(text, explicit.start(), explicit.end())
    if ratio is None or value_of(ratio[2], kr) == kr.target:
        return False
    own_time = unit in _SECONDS
    for number in NUMBER_RE.finditer(text, start, explicit.start()):
        written = _WRITTEN_UNIT.match(text, number.end(), explicit.start())
        if written is None or _inside(number, skipped):
            continue
        word = written[1].lower()
        if word.rstrip("s") == unit.rstrip("s") or (own_time and word in _SECONDS):
            return True
    return False


# A change since last time, not where a key result stands: "+3", "-1 day", "up 3", "3 more
# teams". Read as a value it would be silently wrong ("+3" of 34 teams is not 3 teams), so
# it is no reading, and the confirmation asks for the value now. A sign is part of the
# value of a key result whose numbers can be negative ("NPS -5", "NPS +12"). A minus is a
# sign only when written onto the number: "- 38" is a bullet, "30-38" a range.
_CHANGE = re.compile(
    r"(?=[-+−\dudpmaglUDPMAGL$€£])"  # what a change can start with: fails at once elsewhere
    rf"(?:(?<![\w.,/+−-])(?:\+\s?|[-−](?=\d)){NUMBER}"
    # "up 12 to 41" is where it went: the number is atomic, so that "12" is not given back
    # as "1" for the "to" check to pass. "signed up 38 teams" is not a change.
    r"|(?<!signed )(?<!set )(?<!ramped )(?<!picked )(?<!spun )(?<!stood )"
    rf"\b(?:up|down|plus|minus|added|gained|lost|another)\s+(?:by\s+)?(?>{NUMBER})"
    rf"(?!\s*(?:%\s*)?(?:to|→)\b)"
    rf"|{NUMBER}\s+(?:more|fewer|less)\b(?!\s+(?:to\s+go|or\s+less|left)\b))",
    re.I,
)


# Struck through, as plain text writes it: "~~38~~ 40" takes 38 back for 40.
_STRUCK = re.compile(r"~~[^~\n]*+~~")


# A value taken back for the one after it: "38, sorry 39", "70% - actually 71%", "9.7%
# (no wait, 9.9%)", "38, ich meine 39", "38, pardon, 39".
# The value after it stands alone, perhaps with its unit: "sorry 39 teams.", not "sorry 1
# day late", "actually 3 of them are pilots", "wait, 2 of those are trials".
_CORRECTION_WORDS = (
    r"sorry|actually|correction|edit(?:ed(?:\s+to)?)?|i mean|no wait|oops|scratch that|make that"
    r"|ich meine|korrektur|eigentlich|pardon|en fait|plutôt|je veux dire|perdón|perdon"
    r"|mejor dicho|en realidad|desculpa|aliás|quer dizer|na verdade|eigenlijk"
    r"|ik bedoel|correctie"
)
_CORRECTION = re.compile(
    rf"\b(?:{_CORRECTION_WORDS})\b[,:;!.]*\s*+(?:(?:it'?s|it is|that'?s|is|was|should be"
    rf"|more like|es|sind|c'est|son|são|is het)\s+)?(?=[-+−]?(?>{NUMBER})\s*%?"
    r"(?:\s*[^\W\d_]+)?(?:\s+(?:for|on|of|in)\s+(?:KR|key result)\s*\d+)?\s*(?:[,.;:)!?]|$))",
    re.I,
)
_TWO_NUMBERS = re.compile(r"\d\D+\d")
# Every match of `_CORRECTION` holds one of these once lowercased.
_CORRECTION_HINT = re.compile(
    r"sorry|actual|correct|edit|mean|wait|oops|meine|korrektur|eigentlich|pardon|fait|plutôt"
    r"|dire|perd|dicho|realidad|desculpa|ali|quer|verdade|eigenlijk|bedoel|scratch|make"
)
# The same words before a key result named again: "KR1 40. Actually KR1 is 41", "Sorry,
# KR1 is 39 teams" (after "KR1 38" in an answer above), "KR1 is actually 41"; in the
# label's sentence, and not an apology ("sorry for the delay. KR1 was 36 last week").
_TAKES_BACK = re.compile(rf"\b(?:{_CORRECTION_WORDS})\b(?!\s+(?:for|about)\b)[^.!?\n]*$", re.I)
_TAKE_BACK_REACH = 40  # characters before the label where its correction word may be


def _corrected(
    text: str,
    start: int,
    end: int,
    kr: KeyResultRef,
    bare: bool,
    named: bool,
    passed_over: range | None,
) -> ProgressReading | None:
    """The value after a correction of the one before it ("38, sorry 39" is 39), when
    text[start:end] holds one; else None."""
    if not _TWO_NUMBERS.search(text, start, end):
        return None  # a correction takes back one value for another
    if not _CORRECTION_HINT.search(text[start:end].lower()):
        return None  # nearly every stretch with two
    found = list(_CORRECTION.finditer(text, start, end))
    if not found:
        return None
    said = found[-1]  # the last one: "38, sorry 39, no wait 40" is 40
    if not _in_its_unit(text, said.end(), end, kr):
        return None  # "actually 3 new", "oops, 1 duplicate": a count of something else
    # What is taken back must be a value, and what replaces it too; each read on its own,
    # without looking for corrections again (a pasted run of them is one pass).
    before = _progress_in(text, start, said.start(), kr, bare, named, passed_over, False)
    if before is None:
        return None
    return _progress_in(text, said.end(), end, kr, True, named, passed_over, False)


def _takes_back(text: str, said_before: int, item: _Item, kr: KeyResultRef) -> bool:
    """Whether the labelled `item` gives its key result's value again as a correction, in
    so many words: a correction word before the label (after what was said of a key
    result before it, from `said_before`) or "actually" after it, and the value right
    after the label, alone ("Actually KR1 is 41", "KR1 is actually 41 teams"; not
    "Actually KR1 is blocked by 3 vendors", nor "Sorry, KR2 took 2 days longer")."""
    shape = _RETAKE_SHAPE.match(text, item.start, item.end)
    if shape is None:
        return False
    clause = _CLAUSE_END.search(text, shape.end(), item.end)
    if not _in_its_unit(text, shape.end(), clause.start() if clause else item.end, kr):
        return False
    if shape["actually"]:
        return True
    before = text[max(said_before, item.start - _TAKE_BACK_REACH) : item.start]
    return bool(_CORRECTION_HINT.search(before.lower()) and _TAKES_BACK.search(before))


# What may come between a key result's label and a value given again: "KR1 is 41",
# "KR1: 41", "KR1 should be 41", "KR1 is actually 41".
_RETAKE_SHAPE = re.compile(
    r"\s*(?:(?:is|was|should\s+be|'s|=|:)\s*)?(?P<actually>actually\s+)?(?=[-+−]?\d)", re.I
)
_CLAUSE_END = re.compile(r"[,;!?\n)]|\.(?!\d)")


def _in_its_unit(text: str, start: int, end: int, kr: KeyResultRef) -> bool:
    """Whether the number at `start` is followed by nothing, a percent sign, or the key
    result's unit ("39 teams", "39 team")."""
    number = NUMBER_RE.match(text, start + (text[start : start + 1] in "-+−"), end)
    if number is None:
        return False
    after = number.end() + (text[number.end() : number.end() + 1] == "%")
    return _only_its_unit(text, after, end, kr)


def _only_its_unit(text: str, start: int, end: int, kr: KeyResultRef) -> bool:
    """Whether text[start:end] goes on with nothing, or with the key result's unit (as
    written, or the other of singular and plural), before anything else."""
    word = _WRITTEN_UNIT.match(text, start, end)
    if word is None:
        return True
    unit = kr.unit.strip().lower()
    written = word[1].lower()
    return bool(unit) and (written == unit or written.rstrip("s") == unit.rstrip("s"))


_STANDS_AT = re.compile(
    r"(?:\b(?:now(?:\s+at)?|total|so\s+far)\s*:?|[=→]|->)\s*[$€£]?$", re.I
)  # not "at" or ":" alone: "+4 at 9am standup", "+3 teams (EMEA: 2)"


# A change said in words, then where it went: "up 10% this week to 42" is 42.
_WENT_TO = re.compile(r"(?:up|down|gained|lost)\b[^,;:()\n]{0,40}?\s(?:to|→|->)\s*+[$€£]?$", re.I)


# Every match of `_CHANGE` holds one of these once lowercased: most stretches hold none.
_CHANGE_HINT = re.compile(r"[+\-−]|up|down|plus|minus|add|gain|lost|another|more|fewer|less")


def _changes(text: str, start: int, end: int, kr: KeyResultRef) -> list[range]:
    """Where text[start:end] holds a change since last time (see `_CHANGE`)."""
    if not _DIGIT.search(text, start, end) or not _CHANGE_HINT.search(text[start:end].lower()):
        return []  # a change has a number, and a sign or one of its words
    found = _ranges(_CHANGE, text, start, end)
    if found and _can_be_negative(kr):
        # Signed numbers are values here; only the words still say a change.
        return [span for span in found if text[span.start] not in "+-−"]
    return found


def _can_be_negative(kr: KeyResultRef) -> bool:
    return kr.start < 0 or kr.target < 0 or (kr.current is not None and kr.current < 0)


def _negative(text: str, number_start: int, kr: KeyResultRef) -> bool:
    """Whether the number at `number_start` carries a minus sign of a key result whose
    numbers can be negative."""
    before = text[number_start - 1 : number_start]
    return (
        before in ("-", "−")
        and _can_be_negative(kr)
        and not text[number_start - 2 : number_start - 1].isalnum()
    )


def _first_explicit(
    text: str,
    start: int,
    end: int,
    ignored: frozenset[Decimal | None],
    skipped: _Spans,
    may_change: bool,
) -> re.Match[str] | None:
    """The first explicit form in text[start:end] (38/45, 60%, 30 -> 38), but for those
    made of the title's numbers (`ignored`) or starting in a `skipped` span. may_change:
    False when a change (`_FROM_TO`) cannot match there (see `_may_hold_a_change`)."""
    if not ignored and not skipped:
        return (_EXPLICIT if may_change else _RATIO_OR_PERCENT).search(text, start, end)
    # Each pattern's first match that counts; the earliest of them wins.
    found = [
        match
        for pattern in ((_RATIO, _PERCENT, _FROM_TO) if may_change else (_RATIO, _PERCENT))
        for match in pattern.finditer(text, start, end)
        if not (ignored and _numbers_in(match) <= ignored) and not _skipped(match, skipped)
    ]
    return min(found, key=lambda match: match.start()) if found else None


def _ratio_against_target(
    text: str, explicit: re.Match[str], end: int, kr: KeyResultRef, skipped: _Spans
) -> re.Match[str] | None:
    """After a percentage, a value against the key result's target that says the same more
    exactly: "84% (38/45)" and "~80% (38/45)" are 38 teams, where 84% of the way from 30 to
    45 would be 42.6. Not one said of another time ("84% (was 34/45)", "76% (last month
    1800/2500)"), nor one far from the percentage (ten points, of the target or of the way)."""
    pattern, share_written = _explicit_kind(explicit)
    if pattern is not _PERCENT or "/" not in text[explicit.end() : end]:
        return None  # "of" words are everyday words too: only "/" is looked for
    share = parse_number(share_written)
    if share is None or not kr.target:
        return None
    for ratio in _RATIO.finditer(text, explicit.end(), end):
        if "/" not in ratio[0] or _skipped(ratio, skipped) or value_of(ratio[2], kr) != kr.target:
            continue
        if _ANOTHER_TIME.search(text, explicit.end(), ratio.start()):
            continue
        value = value_of(ratio[1], kr)
        if value is None:
            continue
        shares = [100 * value / kr.target]
        if kr.target != kr.start:
            shares.append(100 * (value - kr.start) / (kr.target - kr.start))
        if any(abs(said - share) <= 10 for said in shares):
            return ratio
    return None


_ANOTHER_TIME = re.compile(
    r"\b(?:was|were|last|previous(?:ly)?|before|prior|vorher|letzte[nr]?|vorige[nr]?|war"
    r"|avant|dernier|derni[èe]re|antes|anterior|pasad[oa]|prima|scors[oa]|vorige|vorig)\b",
    re.I,
)


def _skipped(match: re.Match[str], skipped: _Spans) -> bool:
    """Whether an explicit form is one to pass over: it starts in a skipped span, but for a
    change, which is passed over when where it went is ("from 38 in week 46 to 41" and "+3
    to 41" say 41); a signed "to" is read (and asked for, of a key result that cannot be
    negative: "from 30 to -3")."""
    if match.re is not _FROM_TO:
        return match.start() in skipped
    return match[_TO][0] not in "-−+" and match.start(_TO) in skipped


# Where something stands now: "now 40", "currently 39", "we're at 41", "38 total", "41
# teams so far", in the languages we read (which thing: see `_said_to_stand_now`). Each
# is no explicit form ("now 38/45" is read as that).
_NOW_WORDS = (
    # "this week" after "last week": "last week 4 days, this week 3" is 3.
    r"now|currently|at present|as of today|this\s+week|(?:in\s+)?total|we'?re at|we are at"
    r"|aktuell|jetzt|derzeit"
    r"|momentan|actuellement|maintenant|ahora|actualmente|agora|atualmente|momenteel"
    r"|attualmente"
)
_SO_FAR_WORDS = (
    r"now|today|total|in total|so far|insgesamt|bisher|au total|en total|hasta ahora"
    r"|no total|até agora|tot nu toe|in totaal|finora|in tutto"
)
_STANDS_NOW = re.compile(
    rf"\b(?:{_NOW_WORDS})\b[\s:]*+(?:(?:at|is|are|on|bei|à|en|em|op|a)\s+)?(?P<after>{NUMBER})"
    rf"(?![\d/%]|\s*(?:/|%|of\b))"
    rf"|(?P<before>{NUMBER})(?![\d/%])\s+(?:[^\W\d_]+\s+){{0,2}}?(?P<so_far_at>)"
    rf"(?:{_SO_FAR_WORDS})\b",
    re.I,
)
# Where it stood, what changed, or what is expected: a number said with these gives way to
# one said to stand now ("was 36, now 40"); without them, it is the value and what stands
# now is something else ("38 teams, 3 churned so far", "38, now 3 weeks left").
# Said of the number itself: right before it ("was 36", "had 38", "expect to hit 42") or
# right after it ("4 new teams", "36 last Monday"); not a word elsewhere ("41 (was 38)").
_NOT_NOW_BEFORE = re.compile(
    r"\b(?:was|were|had|used to be|previously|last\s+\w+|expect\w*(?:\s+to\s+\w+)?|forecast\w*"
    r"|projected|planned|hope\w*\s+to\s+\w+|aim\w*\s+(?:for|at)|will\s+\w+|war|waren"
    r"|hatten|était|étaient|avions|era|eran|teníamos|estava|tínhamos)\s+(?:at\s+)?$",
    re.I,
)
_NOT_NOW_AFTER = re.compile(
    r"\s*+(?:[^\W\d_]+\s+)?(?:new|more|added|extra|additional|neue|nouveaux|nouvelles"
    r"|nuevos|nuevas|novos|novas|nieuwe|last\s+\w+)\b",
    re.I,
)


def _gives_way(text: str, number: re.Match[str] | None, boundary: re.Match[str]) -> bool:
    """Whether `number` may give way to one said to stand now after the clause break
    `boundary`: it is said before now (`_said_before_now`), or it counts something named
    after it and the next clause opens with a word saying where it stands now ("closed 2
    deals, total €240k"; which unit is the key result's, `_progress_in` decides)."""
    if number is None:
        return False
    if _said_before_now(text, number):
        return True
    said = _STANDS_NOW.match(text, boundary.end())
    return said is not None and said["after"] is not None and _counts_things(text, number)


# A word after a number that says what it counts ("2 deals"): not a multiplier or a sign.
_COUNTED_WORD = re.compile(r"\s++(?:[^\W\d_]+\s+)?(?P<word>[^\W\d_]{3,})\b")


def _counts_things(text: str, number: re.Match[str]) -> bool:
    """Whether a word follows `number` ("2 deals", "3 new logos")."""
    return _COUNTED_WORD.match(text, number.end()) is not None


def _said_before_now(text: str, number: re.Match[str] | None) -> bool:
    """Whether `number` is said to be where it stood, what changed or what is expected."""
    if number is None:
        return False
    before = _NOT_NOW_BEFORE.search(text, max(0, number.start() - 40), number.start())
    return before is not None or _NOT_NOW_AFTER.match(text, number.end()) is not None


# Where it stood, of those (`_NOT_NOW_BEFORE`, `_NOT_NOW_AFTER`): "was 36", "last week 4
# days", "36 last week". Not "4 new teams", a change, or "last count 38".
_PAST_BEFORE = re.compile(
    r"\b(?:was|were|used to be|previously|last\s+(?:week|month|quarter|sprint|time|check-?in"
    r"|update|report|(?:mon|tues|wednes|thurs|fri|satur|sun)day)|war|waren|était|étaient"
    r"|era|eran|estava)\s+(?:at\s+)?$",
    re.I,
)
_PAST_AFTER = re.compile(
    r"\s*+(?:(?!(?:vs|versus|than|over|against|from|since|compared)\b)[^\W\d_]+\s+)?"
    r"last\s+(?:week|month|quarter|sprint|time|check-?in|update"
    r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b",
    re.I,
)


def _said_in_the_past(text: str, number: re.Match[str]) -> bool:
    """Whether `number` is said to be where it stood (a time before this check-in)."""
    before = _PAST_BEFORE.search(text, max(0, number.start() - 40), number.start())
    return before is not None or _PAST_AFTER.match(text, number.end()) is not None


# Every match of `_STANDS_NOW` holds one of these once lowercased.
_STANDS_NOW_HINT = re.compile(
    r"now|current|present|today|this week|we'?re|we are|aktuell|jetzt|derzeit|momen|actuel|mainten"
    r"|ahora|agora|atual|attual|total|so far|insgesamt|bisher|hasta|até|tot nu|totaal"
    r"|finora|in tutto"
)


def _said_to_stand_now(
    text: str, start: int, end: int, skipped: _Spans, kr: KeyResultRef
) -> re.Match[str] | None:
    """The number in text[start:end] said to be where `kr` stands now, if any: in its unit
    or none ("now 40", "38 teams total"; not "2 churned so far", "now 3 weeks left")."""
    if not _DIGIT.search(text, start, end) or not _STANDS_NOW_HINT.search(text[start:end].lower()):
        return None  # nearly every stretch
    for said in _STANDS_NOW.finditer(text, start, end):
        group = "after" if said["after"] else "before"
        number = NUMBER_RE.match(text, said.start(group), said.end(group))
        if number is None or _inside(number, skipped):
            continue
        if group == "after" and not _in_its_unit(text, number.start(), end, kr):
            continue
        if group == "before" and not _only_its_unit(
            text, number.end(), said.start("so_far_at"), kr
        ):
            continue
        return number
    return None


def _first_number(
    text: str, start: int, end: int, ignored: frozenset[Decimal | None], skipped: _Spans
) -> re.Match[str] | None:
    """The first number in text[start:end] not of the title nor in a `skipped` span."""
    return next(
        (
            match
            for match in NUMBER_RE.finditer(text, start, end)
            if (not ignored or parse_number(match[0]) not in ignored)
            and not _inside(match, skipped)
        ),
        None,
    )


# An "of" or "to" of another language that is also an everyday word between numbers: "2 de
# 3 regiones", "de 2 a 3 por semana" (a range as often as a change).
_WEAK_WORD = re.compile(r"\d\s*\b(?:von|sur|de|van|su|à|a|al|para)\b\s*[$€£]?\d", re.I)


def _weak(match: re.Match[str]) -> bool:
    return _explicit_kind(match)[0] is not _PERCENT and _WEAK_WORD.search(match[0]) is not None


def _explicit_kind(match: re.Match[str]) -> tuple[re.Pattern[str], str]:
    """The form (_RATIO, _PERCENT or _FROM_TO) of a match of it, of `_EXPLICIT` or of
    `_RATIO_OR_PERCENT`, and the number it reads as the value (or the share, for a
    percentage)."""
    if match.re is _EXPLICIT or match.re is _RATIO_OR_PERCENT:
        pattern, group = _EXPLICIT_KINDS[match.lastindex or 0]
        return pattern, match[group]
    return match.re, match[_TO] if match.re is _FROM_TO else match[1]


def _scores_out_of_ten(text: str, start: int, end: int, kr: KeyResultRef) -> list[range]:
    """Where text[start:end] holds a score out of ten ("8/10", "3 out of 10"): a 1-10
    confidence, not progress, unless the key result's own target is 10."""
    if kr.target == 10 or "10" not in text[start:end]:
        return []
    return _ranges(_SCORE_OUT_OF_TEN, text, start, end)


# A ratio that could be a day and month ("11/15") and is not against the key result's
# target: read as a date when the stretch says something else ("41 (11/15 update)" is 41,
# "done 11/15" is done), else as a ratio. Not when the key result's unit follows it
# ("11/12 teams").
_DAY_AND_MONTH = re.compile(r"(\d{1,2})/(\d{1,2})")


def _may_be_a_date(match: re.Match[str], kr: KeyResultRef) -> bool:
    pattern, _ = _explicit_kind(match)
    date = _DAY_AND_MONTH.fullmatch(match[0]) if pattern is _RATIO else None
    if date is None or Decimal(date[2]) == kr.target:
        return False
    one, other = int(date[1]), int(date[2])
    if not (is_day_and_month(one, other) or is_day_and_month(other, one)):
        return False
    unit = kr.unit.strip().lower()
    after = match.string[match.end() : match.end() + len(unit) + 1].strip().lower()
    return not (unit and after.startswith(unit))


# What is left to reach the target, not where a key result stands: "7 to go", "38 more to
# go", "3 teams left to onboard", "2 short of the target". Asked for, as a change is. Not
# "3 days to go live", "2 people left" (of an attrition key result) or "41 remaining".
_REMAINING = re.compile(
    # Not "38 ready to go", "all 45 good to go".
    rf"{NUMBER}(?:\s*%)?\s+(?:more\s+)?(?:(?!(?:ready|good|set|raring)\b)[^\W\d_]+\s+)?"
    r"(?:(?:still\s+)?to\s+go(?=\s*(?:[.,;:!)(]|$|until\b|till\b|before\b|to\s+(?:reach|hit)\b))"
    r"|left\s+to\s+(?:go|do|reach|hit|onboard|close|sign|ship|hire|migrate|finish|complete)\b"
    # "2 short of 40": what it is short of is no value either
    r"|short\s+of\b(?:\s+(?:the\s+)?(?:target|goal|plan|[$€£]?\d[\d,.]*+\w*))?)"
    # "faltan 7", "mancano 7", "nog 7 te gaan", "noch 7 bis zum Ziel" (not "quedan 38", "il
    # reste 38": there remain 38)
    rf"|\b(?:faltan|faltam|mancano)\s+{NUMBER}"
    rf"|\b(?:nog|noch)\s+{NUMBER}\s+(?:[^\W\d_]+\s+)?(?:te\s+gaan|bis\s+zum\s+ziel)\b",
    re.I,
)
_REMAINING_HINT = re.compile(r"to go|left|short|falta|manca|te gaan|zum ziel")


# A value planned, hoped for or expected, not where it stands: "should be down to 2 days by
# Friday", "will be at 50% next week", "hoping for 45 by Dec", "expect to hit 42".
# "Should be" also corrects ("sorry, KR2 should be 40, not 38"): a plan only when a time
# to come follows ("should be down to 2 days by Friday").
_PLANNED = re.compile(
    r"\b(?:(?P<should>should)|will|shall|(?<=\w)['’]ll|going\s+to|gonna|expect(?:s|ed|ing)?"
    r"|hop(?:e|es|ed|ing)|aim(?:s|ed|ing)?|plan(?:s|ned)?\s+to|planning|forecast(?:s|ed|ing)?"
    r"|projected|on\s+(?:track|course)\s+to|want\s+to)"
    r"(?:\s++(?:be|to|for|at|hit|reach|get|land|end|finish|close|down|up|around|about"
    r"|roughly|approximately|least|already))*+"
    rf"\s++(?P<number>[$€£]?{NUMBER})"
    r"(?(should)(?=\S*+\s++(?:[^\W\d_]++\s++){0,3}?(?:by(?!\s+(?:now|the\s+way|mistake))"
    r"|next|soon|within|before|until"
    r"|tomorrow|later|end\s+of|in\s+\d+\s+(?:days?|weeks?|months?))\b))",
    re.I,
)
# Every match of `_PLANNED` holds one of these once lowercased.
_PLANNED_HINT = re.compile(
    r"will|should|shall|['’]ll|going|gonna|expect|hop|aim|plan|forecast|project|on track"
    r"|on course|want"
)


def _planned(text: str, start: int, end: int) -> list[re.Match[str]]:
    """The values said to be planned or expected in text[start:end], with what says so."""
    if not _PLANNED_HINT.search(text[start:end].lower()):
        return []
    return list(_PLANNED.finditer(text, start, end))


def _remaining(text: str, start: int, end: int) -> list[range]:
    if not _REMAINING_HINT.search(text[start:end].lower()):
        return []
    return _ranges(_REMAINING, text, start, end)


def _ranges(pattern: re.Pattern[str], text: str, start: int, end: int) -> list[range]:
    """Where `pattern` matches in text[start:end]."""
    return [range(match.start(), match.end()) for match in pattern.finditer(text, start, end)]


class _Spans:
    """Stretches of a text to skip, merged and sorted once: a pasted log may hold
    thousands of dates or changes, and as many numbers to check against them."""

    def __init__(self, spans: Sequence[range]) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for span in sorted(spans, key=lambda span: span.start):
            if self.starts and span.start <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], span.stop)
            else:
                self.starts.append(span.start)
                self.ends.append(span.stop)

    def __bool__(self) -> bool:
        return bool(self.starts)

    def __contains__(self, position: int) -> bool:
        where = bisect_right(self.starts, position) - 1
        return where >= 0 and position < self.ends[where]


def _inside(match: re.Match[str], spans: _Spans) -> bool:
    return match.start() in spans


def _title_numbers(kr: KeyResultRef) -> frozenset[Decimal | None]:
    return frozenset(parse_number(match[0]) for match in NUMBER_RE.finditer(kr.title))


def _numbers_in(match: re.Match[str]) -> set[Decimal | None]:
    """The numbers a match is made of (not its words: a change's "from" word), without
    their signs, as a title's numbers are read (`_title_numbers`)."""
    return {
        parse_number(group.lstrip("-−+"))
        for group in match.groups()
        if group and _DIGIT.search(group)
    }


# Nor is any ten times over its target: a larger percentage is asked for.
_MOST_PERCENT = 1000


def _explicit_reading(
    kr: KeyResultRef, pattern: re.Pattern[str], number: str, match: re.Match[str]
) -> ProgressReading | None:
    """The reading of `match`, a match of `pattern` (_RATIO, _PERCENT or _FROM_TO) whose
    value (or share, for a percentage) is written `number`."""
    if pattern is not _PERCENT:
        value = value_of(number, kr)
        if pattern is _FROM_TO:  # "from 0.9 s to 0.6 s" of a key result in ms is 600
            text = match.string
            value = _in_the_unit_of(kr, value, text, match.end(), len(text))
        if value is not None and value < 0 and not _can_be_negative(kr):
            return None  # "from 30 to -3" of a count: asked for
        return _reading(kr, value, None, "value", match)
    if kr.unit.strip().lower() in _PERCENT_UNITS:  # "64%" of coverage is a value
        value = value_of(number, kr)
        return None if value is None else _reading(kr, value, None, "value", match)
    share = parse_number(number)
    if share is None or share > _MOST_PERCENT:
        return None  # asked for: no key result is ten times over its target
    value = tidy(kr.start + (kr.target - kr.start) * share / 100)
    return _reading(kr, value, share, "percent", match)


# A time said in two units: "3h 30m", "1 hour 15 min", "2 days 4 hours", "2 days and 4
# hours" (a clause does not end at that "and": see `_one_time`).
_TIME_PARTS = re.compile(
    rf"\s*+(?P<unit>{_TIME_UNIT})(?![^\W\d_])\s*+(?:(?:and|und|et|y|e|&)\s++)?"
    rf"(?P<number>\d+(?:[.,]\d+)?)\s*+(?P<unit2>{_TIME_UNIT}|m)(?![^\W\d_])",
    re.I,
)
# A number and a unit of time right before an "and" (see `_one_time`).
_TIME_BEFORE = re.compile(rf"\d\s*+(?P<unit>{_TIME_UNIT})$", re.I)
_TIME_AFTER = re.compile(rf"\d+(?:[.,]\d+)?\s*+(?P<unit>{_TIME_UNIT}|m)(?![^\W\d_])", re.I)


def _one_time(text: str, begin: int, boundary: re.Match[str]) -> bool:
    """Whether the "and" `boundary` joins the parts of one time ("2 days and 4 hours"): a
    number and a unit of time before it, then one in a smaller unit after it."""
    if not text[boundary.end() : boundary.end() + 1].isdigit():
        return False  # nearly every "and"
    before = _TIME_BEFORE.search(text, max(begin, boundary.start() - 24), boundary.start())
    after = _TIME_AFTER.match(text, boundary.end())
    if before is None or after is None:
        return False
    smaller = _SECONDS.get(after["unit"].lower(), Decimal(60))  # "m" after hours: minutes
    return smaller < _SECONDS[before["unit"].lower()]


def _compound_time(kr: KeyResultRef, text: str, after: int, end: int) -> re.Match[str] | None:
    """The second part of a time in two units that starts at text[after:end] (see
    `_TIME_PARTS`), when the key result is measured in time."""
    if kr.unit.strip().lower() not in _SECONDS:
        return None
    parts = _TIME_PARTS.match(text, after, end)
    if parts is None:
        return None
    second = _SECONDS.get(parts["unit2"].lower(), Decimal(60))
    return parts if second < _SECONDS[parts["unit"].lower()] else None


# A one-letter unit is no abbreviation of a word ("620 s. Anhang": siehe; "6 d.h.").
_WRITTEN_UNIT = re.compile(r"\s?([^\W\d_]{2,12}\b|[^\W\d_]\b(?!\.))")


def _in_the_unit_of(
    kr: KeyResultRef, value: Decimal | None, text: str, after: int, end: int
) -> Decimal | None:
    """`value`, written in the unit after it (text[after:end]), in the key result's unit
    when both are units of time."""
    own = _SECONDS.get(kr.unit.strip().lower())
    if value is None or own is None:
        return value
    parts = _compound_time(kr, text, after, end)
    if parts is not None:
        # "3h 30m", "1 hour 15 min", "2 days 4 hours": the whole time, not its first part.
        first = _SECONDS[parts["unit"].lower()]
        # "m" alone is minutes only here, after hours ("3h 30m"); elsewhere a million.
        second = _SECONDS.get(parts["unit2"].lower(), Decimal(60))
        more = parse_number(parts["number"])
        if more is not None:
            return tidy(round((value * first + more * second) / own, 4))
    written = _WRITTEN_UNIT.match(text, after, end)
    seconds = _SECONDS.get(written[1].lower()) if written else None
    if seconds is None or seconds == own:
        return value
    return tidy(round(value * seconds / own, 4))  # as stored: "7 hours" of days is 0.2917


def _reading(
    kr: KeyResultRef,
    value: Decimal | None,
    percent: Decimal | None,
    status: str,
    match: re.Match[str],
    length: int | None = None,
    signed: bool = False,
) -> ProgressReading:
    """A reading from `match`, or from its first `length` characters; `signed`: and the
    sign written just before it."""
    begin = match.start() - signed
    end = match.end() if length is None else match.start() + length
    span = Span(begin, end, match.string[begin:end])
    return ProgressReading(kr.number, value, percent, status, span)


# One value and nothing more, as an answer: "45 minutes", "99.93%", "~9", "3 days."
_LONE_VALUE = re.compile(
    rf"\s*+[~≈]?\s*+{NUMBER}[ \t]*+(?P<unit>%|[^\W\d_]+)?[ \t.!]*+",
    re.I,
)


def lone_value_fits(text: str, kr: KeyResultRef) -> bool | None:
    """Whether `text` is one value alone that is the key result's: True when written in
    its unit ("45 minutes", "2 hours" of one in minutes, "99.93%" of one in %), False when
    a bare number; None when it says more, or is in another unit ("60%" of one in teams is
    a share of the way, "3 days" of one in teams no value of it)."""
    lone = _LONE_VALUE.fullmatch(text)
    if lone is None:
        return None
    written = (lone["unit"] or "").lower()
    if not written:
        return False
    own = kr.unit.strip().lower()
    if written == "%" or own in _PERCENT_UNITS:
        return True if written in _PERCENT_UNITS and own in _PERCENT_UNITS else None
    if own and (written == own or written.rstrip("s") == own.rstrip("s")):
        return True
    return True if own in _SECONDS and written in _SECONDS else None


def progress_corrections(
    text: str, key_results: Sequence[KeyResultRef], read: Collection[int], *, scores: bool
) -> list[ProgressReading]:
    """Values of key results already `read` given again as corrections in an answer to
    another question: "5. No changes. Actually KR1 is 39" (a paragraph glued onto the last
    numbered answer). scores: the answer is about confidence, so a bare whole number up to
    10 is a score ("Sorry, KR1 7"), not progress."""
    # A correction gives a value again, after a label (see `_takes_back`): without a digit
    # there is none (the cheapest test first), nor without a correction word.
    if not read or not _DIGIT.search(text) or not _CORRECTION_HINT.search(text.lower()):
        return []  # nearly every answer
    return [
        reading
        for reading in read_progress(text, key_results, listed=False).readings
        if reading.corrects
        and reading.kr_number in read
        and not (scores and _SCORE_ALONE.fullmatch(reading.span.text))
    ]


_SCORE_ALONE = re.compile(r"(?:10|[1-9])")


def read_progress(
    text: str,
    key_results: Sequence[KeyResultRef],
    *,
    listed: bool,
    kr_number: int | None = None,
) -> ProgressScan:
    """Progress readings in a passage, at most one per key result (the first wins).

    listed: the passage answers a progress question, so bare numbers count, lines may be
    numbered by key result, unnamed items are matched by order, and what cannot be read
    is reported as unclear. In free text only explicit forms count (38/45, 60%, done, no
    change) unless a KR label is right there ("KR1: 38"), and nothing is reported as
    unclear (a key result named in passing is not a progress statement).
    """
    by_number = {kr.number: kr for kr in key_results}
    if not by_number:
        return ProgressScan([], [])
    scanned = _without_confidence_talk(text, key_results)
    if not listed and kr_number is None and not _may_name_a_kr(scanned, key_results):
        return ProgressScan([], [])  # free text about no key result says nothing here
    items = _merge_continuations(
        _items_of(scanned, key_results, listed=listed, kr_number=kr_number), scanned
    )
    if listed:
        if "/" in scanned and len(key_results) > 1:  # else no item can be a slash list
            items = _split_slash_lists(scanned, items, key_results)
        any_kr = key_results[0]
        items = _assign_by_order(
            items,
            scanned,
            len(key_results),
            lambda text, start, end: _progress_in(text, start, end, any_kr, True) is not None,
        )
    readings: dict[int, ProgressReading] = {}
    # What could not be read, by key result: only of those read nowhere else in the
    # passage ("KR1 PR #482 merged, 38 teams" reads 38 teams, and asks nothing).
    unread: dict[int, str] = {}
    said_before = 0  # where the last item about a key result ended
    # Nearly every passage has no word of a correction: no item in it can be one.
    may_correct = bool(_CORRECTION_HINT.search(scanned.lower()))
    # "No change except KR2, now 3 days": the others' reading, said before the exception.
    others: tuple[str, re.Match[str]] | None = None
    for item in items:
        if item.kr is None and listed:
            _by_target(scanned, item, key_results, readings)
            others = others or _said_of_the_others(scanned, item.start, item.end)
            continue
        if item.kr is None:
            continue
        kr = by_number.get(item.kr)
        corrects = (
            may_correct
            and kr is not None
            and item.labelled
            and _takes_back(scanned, said_before, item, kr)
        )
        said_before = item.end
        # A bare "same" gives way to a value typed after it: "KR2 about the same, 4.5 days".
        if item.kr in readings and not corrects and not _bare_same(readings[item.kr]):
            continue
        if kr is None:
            # Matched by order (KR1, KR2, ...) when the key results are not numbered
            # 1..n (a number skipped or repeated): there is no such key result.
            continue
        bare = listed or item.labelled or _named_value(scanned, item, kr, key_results)
        reading = _progress_in(scanned, item.start, item.end, kr, bare, item.named)
        if reading is None and not bare and item.named:
            reading = _stated_plainly(scanned, item, kr)
        if reading and corrects:
            reading = replace(reading, corrects=True)
        if reading and (item.kr not in readings or corrects or reading.status != "no-change"):
            readings[item.kr] = reading
        elif listed and item.labelled:
            unread.setdefault(
                kr.number, _unclear_value(scanned, item, kr, text[item.start : item.end])
            )
    if others is not None:
        named = {item.kr for item in items if item.labelled}
        status, said = others
        for kr in key_results:
            if kr.number not in readings and kr.number not in named:
                if status == "no-change":
                    readings[kr.number] = _reading(kr, kr.current, None, status, said)
                else:
                    readings[kr.number] = _reading(kr, kr.target, Decimal(100), status, said)
    unclear = [said for number, said in unread.items() if number not in readings]
    if listed and not readings and others is None:
        readings = _progress_for_all(scanned, key_results)
        if not readings and text.strip() and not unclear:
            unclear.append(f'could not read any key-result progress in "{_short(text)}"')
    return ProgressScan(sorted(readings.values(), key=lambda r: r.kr_number), unclear)


# One value of a list split by slashes, perhaps with its unit: "44 / 2 / 71", "40 teams /
# 3 days / 64%".
_SLASH_VALUE = re.compile(
    rf"[ \t]*+(?P<value>[-+−]?{NUMBER}(?:[ \t]*+%|(?:[ \t]++[^\W\d_]{{1,12}}+){{1,2}})?)[ \t]*+"
)
_SLASH_LIST_END = re.compile(r"[ \t]*+[.!;]?[ \t]*+$")


def _split_slash_lists(
    text: str, items: list[_Item], key_results: Sequence[KeyResultRef]
) -> list[_Item]:
    """Items naming no key result that list one value per key result split by slashes
    ("44 / 2 / 71"), each split into one item per value, to be matched by order. An item
    named only by title words counts too: there they are the values' units ("40 / 3
    days" names the key result in days, as the whole item is values)."""
    split: list[_Item] = []
    for item in items:
        values = None if item.labelled else _slash_list(text, item, key_results)
        if values is None:
            split.append(item)
        else:
            split.extend(
                _Item(None, value.start("value"), value.end("value"), False) for value in values
            )
    return split


def _slash_list(
    text: str, item: _Item, key_results: Sequence[KeyResultRef]
) -> list[re.Match[str]] | None:
    """The values of text[item.start:item.end] when it is nothing but one value per key
    result split by slashes, and none of them can be a ratio: not a value against the
    target of the key result at its place ("38/45 / 2 / 71"), nor two values without any
    unit ("38/45", "44 / 2": a ratio as often as a list), nor a date ("11/15/2026")."""
    if text.find("/", item.start, item.end) < 0:
        return None
    values: list[re.Match[str]] = []
    position = item.start
    while True:
        value = _SLASH_VALUE.match(text, position, item.end)
        if value is None or len(values) == len(key_results):
            return None
        values.append(value)
        if text[value.end() : value.end() + 1] != "/":
            break
        position = value.end() + 1
    if len(values) != len(key_results) or not _SLASH_LIST_END.match(text, value.end(), item.end):
        return None
    if dates_in(text, item.start, item.end):
        return None
    for value, kr in zip(values, key_results, strict=True):
        if not _in_its_unit(text, value.start("value"), value.end("value"), kr) and not (
            kr.unit.strip().lower() in _SECONDS and _TIME_AFTER.fullmatch(value["value"])
        ):
            return None  # "2/3 done", "3/4 of the squads": a ratio of something else
    for (_, later), kr in zip(pairwise(values), key_results, strict=False):
        if value_of(NUMBER_RE.search(later["value"])[0], kr) == kr.target:  # type: ignore[index]
            return None  # "38/45": against the target
    if len(values) == 2 and all(NUMBER_RE.fullmatch(value["value"]) for value in values):
        return None
    return values


# A key result's name, then its value, joined by a colon or by saying where it stands
# ("Active teams: 43", "Onboarding: still 3 days", "Onboarding is at 2 days", "active
# teams went up to 43"): in free text, as plain as a KR label. Not where it stood ("was
# at 3 days, now 2").
_NAME_THEN_VALUE = re.compile(
    r"(?P<name>[^\W\d_][^:\n\d]{2,40}?)(?<!\bwas)(?<!\bwere)(?<!\bused to be)"
    r"(?::[ \t]*(?:(?:now|still|at|about|around|down to|up to)\s+)?"
    r"|\s+(?:(?:is|are|went|got|stands?|sits?)\s+)?(?:now\s+|still\s+)?"
    r"(?:at|about|around|(?:down|up)\s+to)\s+"
    r"|\s+(?:is|are|stands?|sits?)\s+(?:now\s+|still\s+)?)"
    r"(?=[$€£]?\d)",
    re.I,
)
# What may follow the value: the end of the clause, perhaps after "now" ("... 2 days now.").
_AFTER_VALUE = re.compile(r"\s*(?:(?:now|today|already|so far)\b\s*)?(?:[.!;,(]|$)", re.I)


def _named_value(
    text: str, item: _Item, kr: KeyResultRef, key_results: Sequence[KeyResultRef]
) -> bool:
    """Whether free-text item text[item.start:item.end] is the key result's name, a colon
    and a value in its unit or none ("Active teams: 43."), not a number of something else
    ("Team: 3 people out sick") or a name after the colon ("Reminder: 3 teams churned")."""
    if not item.named:
        return False
    named = _NAME_THEN_VALUE.match(text, item.start, item.end)
    if named is None or not _stems(named["name"]) & _distinctive_stems(key_results)[kr.number]:
        return False
    number = NUMBER_RE.match(text, named.end(), item.end)
    if number is None:
        return False
    after, unit = number.end(), kr.unit.strip()
    rest = text[after : item.end]
    written = rest.lstrip()
    if unit and written[: len(unit)].lower() == unit.lower():  # "43 teams"
        after += len(rest) - len(written) + len(unit)
    return bool(_AFTER_VALUE.match(text, after, item.end))


# Words that may stand around a value stated plainly in free text, besides the key
# result's own title words and unit: "We are at 41 active teams", "teams 40", "onboarding
# takes 3 days now". Not a word that says what else the number is ("talked to 5 teams",
# "team of 5", "onboarding in 2 weeks", "3 days late").
_PLAIN_BEFORE = frozenset(
    """we re are is s it at now currently still down up to about around roughly approx
    approximately reached hit has have the our stands stand sits sit went got already
    this week today takes take""".split()  # noqa: SIM905 (a list of words)
)
_PLAIN_AFTER = frozenset(
    """now today already so far this week total in currently""".split()  # noqa: SIM905
)
_PLAIN_MARKS_BEFORE = frozenset(" \t:=~≈'’-–—")
_PLAIN_MARKS_AFTER = frozenset(" \t.!;,:")
# What may open a clause before the value: the "and" of the break before it ("MTTR came
# down to 45 minutes, and we now have 9 services with SLOs").
_PLAIN_OPENING = re.compile(r"\s*+(?:and(?:\s++also)?|also)\b", re.I)


def _stated_plainly(text: str, item: _Item, kr: KeyResultRef) -> ProgressReading | None:
    """A value in free-text item text[item.start:item.end], named by the words of `kr`'s
    title, said as plainly as in a progress answer ("Teams 40", "onboarding 3 days", "We
    are at 41 active teams."): only the title's words, its unit and a few words saying
    where it stands around it (see `_PLAIN_BEFORE`), up to an aside in brackets. Else
    None: free text holds numbers of many other things, and the confirmation asks."""
    if not _DIGIT.search(text, item.start, item.end):
        return None
    reading = _progress_in(text, item.start, item.end, kr, True, True)
    if reading is None or reading.status != "value":
        return None
    own = (
        _stems(kr.title, title=True)
        | _stems(kr.unit)
        | _subject_words(kr.title)
        | _synonyms(kr.title)
    )
    opening = _PLAIN_OPENING.match(text, item.start, reading.span.start)
    before = text[item.start if opening is None else opening.end() : reading.span.start]
    aside = text.find("(", reading.span.end, item.end)
    after = text[reading.span.end : item.end if aside < 0 else aside]
    return (
        reading
        if _only_words(before, own | _PLAIN_BEFORE, _PLAIN_MARKS_BEFORE, kr)
        and _only_words(after, own | _PLAIN_AFTER, _PLAIN_MARKS_AFTER, kr)
        else None
    )


@lru_cache(maxsize=256)
def _subject_words(title: str) -> frozenset[str]:
    """The words of what a title is about, in small letters, small ones too ("services
    with slos" of "Services with SLOs"; "weekly active teams" of "Raise weekly active
    teams from 30 to 45": not its verb of change nor its target): a value said in the
    title's own words ("9 services with SLOs") is said plainly."""
    words = _WORD.findall(_TARGET_PART.split(title, maxsplit=1)[0].lower())
    if words and words[0] in _GENERIC_TITLE_WORDS | _CHANGE_VERBS:
        words = words[1:]
    return frozenset(words)


def _only_words(
    said: str, words: Collection[str], marks: Collection[str], kr: KeyResultRef
) -> bool:
    """Whether `said` holds nothing but `words` (whole or stemmed), the key result's unit
    (singular or plural; of time, any unit of time: "3h 30m" of a key result in days) and
    `marks`; words of a compound may be joined by a hyphen ("self-serve setups")."""
    unit = kr.unit.strip().lower()
    of_time = unit in _SECONDS
    position = 0
    for word in _WORD.finditer(said):
        gap = said[position : word.start()]
        if position and gap == "-":
            pass  # "self-serve": one compound
        elif any(mark not in marks for mark in gap):
            return False
        written = word[0].lower()
        if not (
            written in words
            or _stem(written) in words
            or (unit and written.rstrip("s") == unit.rstrip("s"))
            or (of_time and (written in _SECONDS or written == "m"))
        ):
            return False
        position = word.end()
    return all(mark in marks for mark in said[position:])


def _said_of_the_others(text: str, start: int, end: int) -> tuple[str, re.Match[str]] | None:
    """ "no change" or "done" said of all but what follows ("no change except KR2", "all
    done except for KR3"), as (status, where), if text[start:end] says one; the "except"
    may open the clause after it ("No change, except KR2 is now 3 days")."""
    reach = end
    if not _EXCEPT_ANYWHERE.search(text, start, end):
        # Nearly every item: no "except" in it, nor a clause break right after it.
        opening = _EXCEPT_OPENS.match(text, end) if text[end : end + 1] in (",", ";") else None
        if opening is None:
            return None
        reach = opening.end()
    for pattern, status in ((_NO_CHANGE, "no-change"), (_DONE, "done")):
        said = pattern.search(text, start, end)
        if (
            said is not None
            and _BUT_FOR.match(text, said.end(), reach)
            and not _NOT_DONE_BEFORE.search(text, max(start, said.start() - 40), said.start())
        ):
            return status, said
    return None


# "except" opening the clause after a break: "No change, except KR2 ...".
_EXCEPT_OPENS = re.compile(rf"[,;][ \t]*+{_EXCEPT_WORDS}\b", re.I)


def _by_target(
    text: str,
    item: _Item,
    key_results: Sequence[KeyResultRef],
    readings: dict[int, ProgressReading],
) -> None:
    """An item that names no key result, written against a target ("41/45", "41 of 45"):
    the key result with that target, when exactly one has it (and no reading yet)."""
    ratio = _RATIO.search(text, item.start, item.end)
    if ratio is None:
        return
    having = [kr for kr in key_results if value_of(ratio[2], kr) == kr.target]
    if len(having) == 1 and having[0].number not in readings:
        reading = _explicit_reading(having[0], _RATIO, ratio[1], ratio)
        if reading is not None:
            readings[having[0].number] = reading


def _may_name_a_kr(text: str, key_results: Sequence[KeyResultRef]) -> bool:
    """Whether some item of `text` could name a key result: only a KR label or a title
    word does (see `_items_of`), and the items' words are all words of the whole text."""
    if _KR_LABEL.search(text):
        return True
    words = _stems(text)
    return any(words & stems for stems in _distinctive_stems(key_results).values())


def _progress_for_all(text: str, key_results: Sequence[KeyResultRef]) -> dict[int, ProgressReading]:
    """A lone "no change" / "all done" with no key result named speaks for all of them
    ("All done as of 15.11.", "All done in sprint 23" too: a date or a name's number is
    not a number that says otherwise)."""
    names = aside_numbers(text, 0, len(text))
    dates = _Spans(dates_in(text, 0, len(text)) + names)
    if any(not _inside(number, dates) for number in NUMBER_RE.finditer(text)):
        return {}
    same = _NO_CHANGE.search(text)
    if same:
        return {kr.number: _reading(kr, kr.current, None, "no-change", same) for kr in key_results}
    done = said_done(text)
    if done and not about_a_name(text, done.start()):  # not "Sprint 23 done"
        return {
            kr.number: _reading(kr, kr.target, Decimal(100), "done", done) for kr in key_results
        }
    return {}


def _unclear_value(scanned: str, item: _Item, kr: KeyResultRef, written: str) -> str:
    """What to say of a labelled item with no value: a change since last time, or what is
    left to go, is asked for as where the key result stands now, with the value it had."""
    if _changes(scanned, item.start, item.end, kr):
        reads_as = "a change since last time"
    elif _remaining(scanned, item.start, item.end):
        reads_as = "what is left to go"
    elif any(
        _said_in_the_past(scanned, number)
        for number in NUMBER_RE.finditer(scanned, item.start, item.end)
    ):
        reads_as = "where it stood before"
    else:
        return _unclear("a value", kr.number, written)
    # Written as the prompt writes values (the confirmation holds both).
    was = (
        "" if kr.current is None else f" (it was {format_value(kr.current)}{unit_suffix(kr.unit)})"
    )
    return (
        f'KR{kr.number}: "{_short(written.strip(" :"))}" reads as {reads_as}: '
        f"give the value it stands at now{was}"
    )


def _unclear(what: str, kr_number: int, text: str) -> str:
    return f'could not read {what} for KR{kr_number} in "{_short(text)}"'


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# -- confidence -----------------------------------------------------------------------------

_SCORE_OUT_OF_TEN = re.compile(rf"(?=\d)(?<![\d.])(10|[1-9])(?:[.,]\d)?\s*{_OF}\s*10\b", re.I)
_SCORE_PERCENT = re.compile(rf"(?=\d)(?<![\d.])(100|\d{{1,2}})\s*{_PER_CENT}", re.I)
# Also "7ish", as people write a score they are not sure of.
_SCORE_BARE = re.compile(
    r"(?=\d)(?<![\w.,/])(10|[1-9])(?:[.,](\d))?(?:ish\b)?(?![\w%/]|[.,]\d)", re.I
)
# Three scores or more split by slashes, one per key result: "8/6/7" (not "8/10", a score
# out of ten, nor a date: "1/5/2026").
_SCORE_SLASHES = re.compile(r"(?<![\w.,/])(?:10|[1-9])(?:/(?:10|[1-9])){2,}(?![\w%/]|[.,]\d)")
_ONE_SCORE = re.compile(r"(10|[1-9])")
# ... which are the whole of what is said, or follow a label or a colon ("KR1-3: 8/6/7",
# "confidence 8/6/7."; not "we met on 3/4/5 with customers").
_BEFORE_SLASHES = re.compile(r"(?:[:\n]|\bKR\s*+#?\d{1,2}|\bconfidence)[ \t]*+$", re.I)
_AFTER_SLASHES = re.compile(r"[ \t]*+(?:[.!;,)\n]|$)")


def _slashes_stand_alone(text: str, start: int, end: int, run: re.Match[str]) -> bool:
    if not _AFTER_SLASHES.match(text, run.end(), end):
        return False
    # Blanks alone before it (confidence talk is blanked out of the text) or a label.
    if text[start : run.start()].isspace() or run.start() == start:
        return True
    return _BEFORE_SLASHES.search(text, max(start, run.start() - 40), run.start()) is not None


# Words people use instead of numbers (each a whole word, in any case), and emoji, mapped
# onto the 1-10 scale.
_SCORE_WORDS_SAID: tuple[tuple[str, int], ...] = (
    (r"off[\s-]track|very low", 2),
    (r"at[\s-]risk", 5),
    (r"on[\s-]track|very high", 8),
    (r"high|green", 8),
    (r"medium|moderate|mid|yellow|amber|orange", 5),
    (r"low|red", 2),
    # High, medium and low in German, French, Spanish, Dutch, Italian and Portuguese, but
    # for words that are also English ("social media", "Bass Pro", "Alta Vista").
    (r"hoch|[ée]lev[ée]e?|hoog|elevad[oa]", 8),
    (r"mittel|moyenne?|média|gemiddeld", 5),
    (r"niedrig|gering|faible|laag|baix[oa]", 2),
)
_SCORE_EMOJI: tuple[tuple[str, int], ...] = (
    # green circle, check marks, thumbs up
    ("[\U0001f7e2\u2705\U0001f44d\u2714]", 8),
    # yellow and orange circles, warning sign, neutral face
    ("[\U0001f7e1\U0001f7e0\u26a0\U0001f610]", 5),
    # red circle, cross, thumbs down
    ("[\U0001f534\u274c\U0001f44e]", 2),
)
_SCORE_WORDS: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(rf"\b(?:{words})\b", re.I), score) for words, score in _SCORE_WORDS_SAID
) + tuple((re.compile(emoji), score) for emoji, score in _SCORE_EMOJI)

# Any of _SCORE_WORDS, in one pattern: most texts hold words but none of these, and one
# search that fails is cheaper than running all twelve. The words' "\b" is tested once
# before all of them (inside a word, where most searches are, the test fails at once);
# they keep their order, so at each place the same one matches as in a pattern of "\bword\b"
# alternatives; emoji never start where a word does.
_ANY_SCORE_WORD = re.compile(
    rf"\b(?i:{'|'.join(words for words, _ in _SCORE_WORDS_SAID)})\b"
    + "".join(f"|{emoji}" for emoji, _ in _SCORE_EMOJI)
)
# What a numeric score must hold. Checked first for the same reason.
_DIGIT = re.compile(r"\d")


def _scores(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, re.Match[str]]]:
    """Every score in text[start:end] as (score 1-10, where), in reading order."""
    end = len(text) if end is None else end
    found: list[tuple[int, re.Match[str]]] = []
    # Most texts hold numbers or words, rarely both: skip the patterns that cannot match.
    numbers = bool(_DIGIT.search(text, start, end))
    tens = list(_SCORE_OUT_OF_TEN.finditer(text, start, end)) if numbers else []
    found.extend((int(match[1]), match) for match in tens)
    if numbers:
        found.extend(
            (max(1, min(10, round(int(match[1]) / 10))), match)
            for match in _SCORE_PERCENT.finditer(text, start, end)
        )
    if _ANY_SCORE_WORD.search(text, start, end):
        for pattern, score in _SCORE_WORDS:
            found.extend((score, match) for match in pattern.finditer(text, start, end))
    if numbers:
        # "Sprint 3: 8" is 8, "Nov 5: 7" is 7.
        names = _Spans(aside_numbers(text, start, end))
        for match in _SCORE_BARE.finditer(text, start, end):
            if _inside(match, names):
                continue
            if not any(ten.start() <= match.start() < ten.end() for ten in tens):
                rounded = int(match[1]) + (1 if match[2] and int(match[2]) >= 5 else 0)
                found.append((min(10, rounded), match))
        if text.find("/", start, end) >= 0:
            for run in _SCORE_SLASHES.finditer(text, start, end):
                if not run[0].endswith("/10") and _slashes_stand_alone(text, start, end, run):
                    one = _ONE_SCORE.finditer(text, run.start(), run.end())
                    found.extend((int(score[1]), score) for score in one)
    found.sort(key=lambda entry: entry[1].start())
    if found and text.find("~~", start, end) >= 0:
        struck = _Spans(_ranges(_STRUCK, text, start, end))
        found = [entry for entry in found if not _inside(entry[1], struck)]
    if len(found) > 1 and _CORRECTION_HINT.search(text[start:end].lower()):
        found = _not_taken_back(text, found)
    if len(found) > 1 and _may_hold_an_arrow(text, start, end):
        return _where_they_went(text, found)
    return found


# A score taken back for the one after it, as a value is (see `_CORRECTION`): "8 (edit:
# 7)", "8, sorry 7", "8 - actually 7/10"; the one after it ends its clause ("8 (actually
# 7 weeks in)" takes nothing back).
_SCORE_TAKEN_BACK = re.compile(
    rf"[\s,;:.(\[–—-]*+\b(?:{_CORRECTION_WORDS})\b[,:;!.]*\s*+"
    r"(?:(?:it'?s|it is|that'?s|is|was|should be|more like)\s+)?",
    re.I,
)
_SCORE_CLAUSE_END = re.compile(r"[ \t]*+(?:[,.;:)\]!?\n]|$)")


def _not_taken_back(
    text: str, found: list[tuple[int, re.Match[str]]]
) -> list[tuple[int, re.Match[str]]]:
    """`found` without each score that a correction right after it takes back."""
    return [
        entry
        for entry, later in zip(found, [*found[1:], None], strict=True)
        if later is None
        or not _SCORE_TAKEN_BACK.fullmatch(text, entry[1].end(), later[1].start())
        or not _SCORE_CLAUSE_END.match(text, later[1].end())
    ]


# An arrow between two scores says where one went: "KR1 9 -> 7" is 7 now, not 9.
_SCORE_ARROW = re.compile(r"\s*+(?:->|→|=>)\s*+")


def _may_hold_an_arrow(text: str, start: int, end: int) -> bool:
    """False when `_SCORE_ARROW` cannot match in text[start:end] (nearly every text)."""
    return text.find(">", start, end) >= 0 or text.find("→", start, end) >= 0


def _where_they_went(
    text: str, found: list[tuple[int, re.Match[str]]]
) -> list[tuple[int, re.Match[str]]]:
    """`found` without each score that an arrow joins to the next ("9 -> 7", "high →
    medium", "9 -> 8 -> 7"): only the last of a chain is the score now."""
    return [
        entry
        for entry, later in zip(found, [*found[1:], None], strict=True)
        if later is None or not _SCORE_ARROW.fullmatch(text, entry[1].end(), later[1].start())
    ]


def _has_score(text: str) -> bool:
    """Whether `_scores(text)` finds any (a bare number inside "8/10" is still a score)."""
    return bool(
        _ANY_SCORE_WORD.search(text)
        or (
            _DIGIT.search(text)
            and (
                _SCORE_OUT_OF_TEN.search(text)
                or _SCORE_PERCENT.search(text)
                or _SCORE_BARE.search(text)
                or _SCORE_SLASHES.search(text)
            )
        )
    )


def _confidence(kr: int | None, found: tuple[int, re.Match[str]]) -> ConfidenceReading:
    score, match = found
    return ConfidenceReading(kr, score, Span(match.start(), match.end(), match[0]))


def read_confidence(
    text: str, key_results: Sequence[KeyResultRef], *, answer: bool
) -> ConfidenceScan:
    """Confidence scores in a passage: per key result where one is named, else overall.

    answer: the passage answers a confidence question. Then labelled items are read one
    by one ("KR1 8, KR2 5"), unlabelled scores are matched to key results in order when
    their counts agree ("8 / 7"), and a single one is overall. Elsewhere (and in an
    answer that says "confidence": "Confidence 7, energy medium") only what follows the
    word "confidence"/"confident" in its sentence is read, or the score just before it
    ("8/10 confident").
    """
    if not answer:
        readings = _confidence_talk(text, key_results)
        said = {reading.kr_number for reading in readings}
        readings += [found for found in _statuses(text, key_results) if found.kr_number not in said]
        return ConfidenceScan(readings, [])
    items = _merge_continuations(_items_of(text, key_results, listed=True), text)
    if any(item.kr is not None for item in items):
        return _confidence_by_label(text, items, key_results)
    by_number = _scores_for_numbers(text, key_results)
    if by_number:
        return ConfidenceScan(by_number, [])
    if says_confidence(text):
        return ConfidenceScan(_confidence_talk(text, key_results), [])
    found = _scores(text)
    if len(found) == len(key_results) > 1:
        readings = [
            _confidence(kr.number, score) for kr, score in zip(key_results, found, strict=True)
        ]
        return ConfidenceScan(readings, [])
    if found:
        return ConfidenceScan([_confidence(None, found[0])], [])
    unclear = [f'could not read a confidence in "{_short(text)}"'] if text.strip() else []
    return ConfidenceScan([], unclear)


# Key results by their bare numbers after a score: "high on 1 and 3, low on 2", "8 for 1/3".
_FOR_NUMBERS = re.compile(
    r"\b(?:on|for|für|bei|pour|para|per|voor)[ \t]++(?P<numbers>\d{1,2}"
    # Not possessive: "for 1/3, 5 for 2" backs off "1/3, 5" to "1/3".
    r"(?:[ \t]*+(?:[,/&+]|and|und|et|y|e|en)[ \t]*+\d{1,2}\b)*)(?=[ \t]*+(?:[,;.!()\n–—-]|$))",
    re.I,
)
_FOR_NUMBERS_HINT = re.compile(r"\b(?:on|for|für|bei|pour|para|per|voor)[ \t]++\d", re.I)


def _scores_for_numbers(text: str, key_results: Sequence[KeyResultRef]) -> list[ConfidenceReading]:
    """The scores of a confidence answer that names key results by number after each
    score ("high on 1 and 3, low on 2"): one per key result named. None when any score is
    said of no number, or a number is no key result's ("8 for 2 weeks", "7 for 12")."""
    if _FOR_NUMBERS_HINT.search(text) is None:
        return []  # nearly every answer
    numbers = {kr.number for kr in key_results}
    lists = list(_FOR_NUMBERS.finditer(text))
    scores = _scores(text)
    inside = _Spans([range(said.start("numbers"), said.end("numbers")) for said in lists])
    scores = [found for found in scores if not _inside(found[1], inside)]
    readings: dict[int, ConfidenceReading] = {}
    used = set()
    for said in lists:
        named = [int(number) for number in re.findall(r"\d+", said["numbers"])]
        before = [found for found in scores if found[1].end() <= said.start()]
        if not before or not set(named) <= numbers:
            return []
        score = before[-1]
        if not _BLANKS.fullmatch(text, score[1].end(), said.start()):
            return []  # "high, we shipped on 3" says no score of KR3
        used.add(score[1].start())
        for number in named:
            readings.setdefault(number, _confidence(number, score))
    if len(used) != len(scores):
        return []  # a score said of no key result: which ones are whose?
    return list(readings.values())


def _confidence_by_label(
    text: str, items: list[_Item], key_results: Sequence[KeyResultRef]
) -> ConfidenceScan:
    readings: dict[int | None, ConfidenceReading] = {}
    unread: dict[int, str] = {}  # as in `read_progress`: of those read nowhere else
    # "8, 6, 7. KR2 maybe 5": a score for each key result in order, before any label, is
    # theirs (not one overall score), and a key result named after them revises its own.
    by_order: set[int | None] = set()
    lead = next(index for index, item in enumerate(items) if item.kr is not None)
    if lead:
        found = _scores(text, items[0].start, items[lead - 1].end)
        if len(found) == len(key_results) > 1:
            for kr, score in zip(key_results, found, strict=True):
                readings[kr.number] = _confidence(kr.number, score)
            by_order = set(readings)
            items = items[lead:]
    rest: list[tuple[int, re.Match[str]]] = []  # "KR2 5, the rest 8"
    for item in items:
        found = _scores(text, item.start, item.end)
        if not found and item.kr is not None and item.labelled:
            found = _score_word_alone(text, item.start, item.end)  # "KR1 alta, KR2 media"
        said_end = item.end
        if found and item.kr is not None:
            # "KR2 unsure, the rest 8": KR2's item took in the clause after it (see
            # `_merge_continuations`), but 8 is the others' score, and KR2 has none.
            others = _score_of_the_rest(text, item.start, item.end)
            if others and others[0][1].start() == found[0][1].start():
                rest = rest or others
                found, said_end = [], _before_the_rest(text, item.start, item.end)
        if not found:
            if item.kr is not None:
                unread.setdefault(
                    item.kr, _unclear("a confidence", item.kr, text[item.start : said_end])
                )
            continue
        if item.kr is None and len(found) == 1:
            rest = rest or _score_of_the_rest(text, item.start, item.end)
            if rest and rest[0][1].start() == found[0][1].start():
                continue
        if item.kr not in readings or item.kr in by_order:
            readings[item.kr] = _confidence(item.kr, found[0])
            by_order.discard(item.kr)
    if rest and None not in readings:  # with a score of no key result, "the rest" of what?
        named = {item.kr for item in items}  # one named without a score is asked for
        for kr in key_results:
            if kr.number not in named:
                readings.setdefault(kr.number, _confidence(kr.number, rest[0]))
    unclear = [said for number, said in unread.items() if number not in readings]
    return ConfidenceScan(list(readings.values()), unclear)


def _confidence_talk(text: str, key_results: Sequence[KeyResultRef]) -> list[ConfidenceReading]:
    """Scores said with the word confidence: after it in its sentence, else just before it.

    "Confidence: KR1 6, KR2 9" gives one per key result; "KR1 38/45, confidence 8" gives
    KR1 (the label the sentence is about); "Overall confidence 6/10" gives overall.
    """
    if not says_confidence(text):
        return []  # most passages never say it
    readings: dict[int | None, ConfidenceReading] = {}
    rest: list[tuple[int, re.Match[str]]] = []
    for talk in _talks(text, key_results):
        _read_talk(text, talk, key_results, readings, rest)
    if rest and None not in readings:
        # Said of the others ("the rest 8"): of those no talk gave a score of their own
        # (and only when no score was said of no key result: "the rest" of what, then?).
        for kr in key_results:
            readings.setdefault(kr.number, _confidence(kr.number, rest[0]))
    return list(readings.values())


def _read_talk(
    text: str,
    talk: _Talk,
    key_results: Sequence[KeyResultRef],
    readings: dict[int | None, ConfidenceReading],
    rest: list[tuple[int, re.Match[str]]],
) -> None:
    """The scores of one stretch of confidence talk, added to `readings`; a score it says
    of the key results it does not name ("KR2 5, the rest 8") is added to `rest`."""
    start, keyword, end, in_unit = talk.after, talk.keyword, talk.end, talk.items
    zone = in_unit.named_in(keyword.end(), end)
    for item in zone:
        found = _scores(text, item.start, item.end)
        if found and item.kr not in readings:
            readings[item.kr] = _confidence(item.kr, found[0])
    others = _score_of_the_rest(text, keyword.end(), end)
    if zone:
        if (
            others
            and all(item.kr in readings for item in zone)
            and _all_scores_placed(text, keyword.end(), end, zone, others[0])
        ):
            rest.extend(others)
        return
    around = in_unit.named_around(keyword.start())
    labels = _labels(text, start, end, {kr.number for kr in key_results}, False)
    about = around or (labels[0][0] if len(labels) == 1 else None)
    after = _scores(text, keyword.end(), end) or _word_after_keyword(text, keyword.end(), end)
    if others and about is not None:
        # "MTTR - confidence maybe 5/10 there, the rest 8": 5 is MTTR's, 8 the others'
        # (only when that is all it says: which of two scores before it is MTTR's?).
        after = [found for found in after if found[1].start() != others[0][1].start()]
        if len(after) == 1:
            rest.extend(others)
    if about is None and _one_per_key_result(text, after, key_results):
        for kr, score in zip(key_results, after, strict=True):
            readings.setdefault(kr.number, _confidence(kr.number, score))
        return
    before = _scores(text, start, keyword.start())
    if before and talk.after > talk.unit_start:
        # Talk after other talk in its unit takes a score before it only right before it
        # ("KR1 8 confident, KR2 6 confident"; not "..., KR2 3 days (not confident)").
        before = [
            found
            for found in before
            if _NOTHING_BETWEEN.fullmatch(text, found[1].end(), keyword.start())
        ]
    chosen = after[0] if after else before[-1] if before else None
    if chosen and about not in readings:
        readings[about] = _confidence(about, chosen)


_NOTHING_BETWEEN = re.compile(r"[^\w(]*+")
# The key results not named, in the words people use: "the rest 8", "others at 7",
# "everything else 8", "8 for the rest".
_THE_REST = re.compile(
    r"\b(?P<for>(?:for|on)\s++)?(?:the\s++)?(?:rest|others|other\s++(?:ones|two|three|krs?)"
    r"|everything\s++else|all\s++(?:the\s++)?others)\b",
    re.I,
)
_AFTER_THE_REST = re.compile(r"[ \t]*+(?:(?:are|is|at|about|around|maybe)\b[ \t]*+)*[:=]?[ \t]*+")
_BEFORE_THE_REST = re.compile(r"[ \t]++")


def _all_scores_placed(
    text: str, start: int, end: int, named: list[_Item], rest: tuple[int, re.Match[str]]
) -> bool:
    """Whether every score in text[start:end] is in an item naming a key result or is the
    score of the rest: else one was said of something not known ("KR1 99.9, confidence 6;
    KR2 confidence 5, the rest 8": whose is 6?), and the rest are not known either."""
    return all(
        found.start() == rest[1].start()
        or any(item.start <= found.start() < item.end for item in named)
        for _, found in _scores(text, start, end)
    )


def _score_of_the_rest(text: str, start: int, end: int) -> list[tuple[int, re.Match[str]]]:
    """The score text[start:end] says of the key results it does not name, right after
    words for them ("the rest 8", "the others at 7/10") or right before ("8 for the
    rest"), as a list of one (or none)."""
    lowered = text[start:end].lower()
    if "rest" not in lowered and "other" not in lowered and "else" not in lowered:
        return []  # nearly all confidence talk
    for words in _THE_REST.finditer(text, start, end):
        if words["for"]:
            before = [
                found
                for found in _scores(text, start, words.start())
                if _BEFORE_THE_REST.fullmatch(text, found[1].end(), words.start())
            ]
            if before:
                return before
            continue
        gap = _AFTER_THE_REST.match(text, words.end(), end)
        found = _scores(text, gap.end(), end) if gap is not None else []
        if found and found[0][1].start() == gap.end():  # type: ignore[union-attr]
            return found[:1]
    return []


def _before_the_rest(text: str, start: int, end: int) -> int:
    """Where what text[start:end] says before its words for the others ("the rest")
    ends, without the break before them ("unsure" of "unsure, the rest 8")."""
    words = _THE_REST.search(text, start, end)
    stop = words.start() if words else end
    while stop > start and (text[stop - 1].isspace() or text[stop - 1] in ",;:-–—"):
        stop -= 1
    return stop


class _UnitItems:
    """The items of one unit as free text cuts them, in order, found by position in
    logarithmic time (a line may hold thousands of items and of confidence keywords)."""

    def __init__(
        self, text: str, start: int, end: int, numbers: set[int], distinctive: dict[int, set[str]]
    ) -> None:
        items = _unit_items(text, start, end, numbers, distinctive, False)
        self.items = sorted((i for i in items if start <= i.start < end), key=_item_start)
        self.starts = [item.start for item in self.items]
        # For each index, the index of the first item from there on that names a key
        # result (len(items) when none does).
        self.next_named = [len(self.items)] * (len(self.items) + 1)
        for index in range(len(self.items) - 1, -1, -1):
            named = self.items[index].kr is not None
            self.next_named[index] = index if named else self.next_named[index + 1]

    def named_around(self, position: int) -> int | None:
        """The key result of the first item that holds `position` (ends included)."""
        index = bisect_right(self.starts, position) - 1
        for item in self.items[max(0, index - 1) : index + 1]:
            if item.kr is not None and item.start <= position <= item.end:
                return item.kr
        return None

    def first_named(self, start: int, end: int) -> _Item | None:
        """The first item starting in [start, end) that names a key result."""
        index = self.next_named[bisect_left(self.starts, start)]
        if index < len(self.items) and self.items[index].start < end:
            return self.items[index]
        return None

    def named_in(self, start: int, end: int) -> list[_Item]:
        """The items starting in [start, end) that name a key result."""
        low, high = bisect_left(self.starts, start), bisect_left(self.starts, end)
        return [item for item in self.items[low:high] if item.kr is not None]


def _item_start(item: _Item) -> int:
    return item.start


def _talk_end(text: str, start: int, keyword: re.Match[str], end: int, items: _UnitItems) -> int:
    """Where the confidence talk that `keyword` opens in the unit text[start:end] stops:
    where the brackets it is said in close ("KR1 39/45 (confident), KR2 3 days"); said of
    a key result and followed by a score before the next item naming one, after that
    score ("KR1 39/45 confidence 8, KR2 3 days"; not "Confidence: KR1 6, KR2 9", nor "KR1
    39/45, confidence: KR1 8, KR2 6"); else at the end of the unit."""
    end = _bracket_end(text, start, keyword, end)
    if items.named_around(keyword.start()) is None:
        return end
    following = items.first_named(keyword.end(), end)
    said = _scores(text, keyword.end(), following.start) if following is not None else []
    return said[-1][1].end() if said else end


def _bracket_end(text: str, start: int, keyword: re.Match[str], end: int) -> int:
    """Where the brackets `keyword` is said in close (`end` when it is not in any). Only a
    short aside is looked for (a line of thousands of brackets is one pass)."""
    opened = text.rfind("(", max(start, keyword.start() - _LONGEST_ASIDE), keyword.start())
    if opened < 0 or text.rfind(")", opened, keyword.start()) >= 0:
        return end
    closed = text.find(")", keyword.end(), min(end, keyword.end() + _LONGEST_ASIDE))
    if closed < 0:
        return end
    heading = (
        _HEADING_AFTER.match(text, closed + 1, end)
        and not _VALUE_DIGIT.search(text, start, opened)
        and not _DIGIT.search(text, keyword.end(), closed)
    )
    # "Scores (confidence): KR1 8": a heading, for all that follows; not "KR1 41 teams
    # (confidence 8) - KR2 3 days".
    return end if heading else closed


# What follows a heading: "(confidence): ...", "(confidence) - ...", "(Zuversicht) KR1 7".
_HEADING_AFTER = re.compile(r"\s*(?:[:：\-–—]|(?:KR|key result)\s*#?\d)", re.I)


_LONGEST_ASIDE = 200  # "(confident, the pipeline is strong)"


# Words for high, medium and low that are also English words or names ("social media",
# "Alta Vista", "Bass Pro"): a score only right after the word for confidence
# ("Confianza: media", "fiducia alta", "confiance basse").
_SCORE_WORD_AFTER_KEYWORD = re.compile(
    r"[\s:=–-]*+(?:(?P<high>alt[oa]|haute?)|(?P<medium>medi[oa])|(?P<low>baj[oa]|bass[oa]|basse?))\b",
    re.I,
)
_WORD_SCORES = {"high": 8, "medium": 5, "low": 2}


def _word_after_keyword(text: str, start: int, end: int) -> list[tuple[int, re.Match[str]]]:
    found = _SCORE_WORD_AFTER_KEYWORD.match(text, start, end)
    if found is None or found.lastgroup is None:
        return []
    return [(_WORD_SCORES[found.lastgroup], found)]


# Nothing but marks after a score word: "KR2 media." is a score, "KR2 media coverage" not.
_MARKS_TO_THE_END = re.compile(r"[\W_]*+")


def _score_word_alone(text: str, start: int, end: int) -> list[tuple[int, re.Match[str]]]:
    """A word for high, medium or low that is also English or a name ("alta", "media",
    "bassa", see `_SCORE_WORD_AFTER_KEYWORD`), as all that text[start:end] says: all that
    follows a KR label in a confidence answer. (Not the whole answer alone: "Alta" may be
    a name, see test_fields.py.)"""
    found = _word_after_keyword(text, start, end)
    if not found or not _MARKS_TO_THE_END.fullmatch(text, found[0][1].end(), end):
        return []
    score, said = found[0]
    word = _WORD.match(text, said.start(said.lastgroup or 0), said.end())
    return [(score, word)] if word else []  # the confirmation quotes the word alone


_SCORE_LIST_GAP = re.compile(r"\s*+(?:[,/;&]|\band\b)?\s*+", re.I)


def _one_per_key_result(
    text: str, found: list[tuple[int, re.Match[str]]], key_results: Sequence[KeyResultRef]
) -> bool:
    """Whether `found` is a bare list of scores, one per key result in order ("confidence
    8 and 6", "confidence: 8, 6, 7"): as many as there are key results (two or more), with
    nothing but separators between them ("confidence 8, energy 6" is one score)."""
    if len(found) != len(key_results) or len(found) < 2:
        return False
    return all(
        _SCORE_LIST_GAP.fullmatch(text, earlier.end(), later.start())
        for (_, earlier), (_, later) in pairwise(found)
    )


# -- blockers, help, wins -------------------------------------------------------------------

_BLOCKER_WORDS = re.compile(
    # Not a value that has stopped moving: "coverage stuck at 63%".
    r"\b(?:blocked|blocking|blockers?|waiting (?:on|for)|stuck(?! at [~≈]?[$€£]?\d)"
    r"|slowing (?:us|things|it|everything) down|holding (?:us |things |it )?back"
    r"|holding up (?!well|fine|nicely|ok|okay|great|good|under|despite|so far|pretty|quite"
    r"|really|better|alright|at|around|steady|strong|[$€£]?\d)"
    r"|(?:hänge|hängen|hängt) (?:[\w-]+ ){0,4}?fest|festgefahren|ligt (?:[\w-]+ ){0,4}?stil"
    r"|atascad[oa]s?|travad[oa]s?"
    # German, French, Spanish, Dutch, Italian, Portuguese
    # (French "bloque" only in lower case: "The Bloque Party")
    r"|blockiert|hindernisse?|warten? auf|bloqu(?:é|ant)e?s?|(?-i:bloque)"
    r"|en attente d(?:es?|u|['’])|bloquead[oa]s?|bloqueos?|esperando|geblokkeerd|wachten op"
    r"|bloccat[oaie]|in attesa di|aguardando)\b",
    re.I,
)
_HELP_WORDS = re.compile(
    r"\b(?:need(?:s|ed)? (?:\w+ )?help|could you|can you(?! believe| imagine)|would you mind"
    r"|any chance you|(?:could|can) use (?:an? |some )?(?:intro|introduction|hand|help|support)"
    r"|would (?:really )?help (?:us )?if|(?:i|we)(?:['’]d| would) appreciate"
    r"|appreciate (?:any|some|a) (?:help|hand|support|input|intro)"
    r"|need (?:a|your) (?:decision|sign-?off|go-ahead|approval)"
    r"|(?:could|can) we get (?:someone|somebody|a hand|help|support|access|approval|budget)"
    r"|please (?:loop in|intro(?:duce)?|connect (?:me|us))"
    r"|precisamos de (?:\w+ )?ajuda|necesitamos (?:\w+ )?ayuda|besoin de (?:votre |ton )?aide"
    r"|(?:brauche|benötige)(?:n)? (?:\w+ )?(?:hilfe|unterstützung)|besoin d['’]aide"
    r"|necesito (?:\w+ )?ayuda|hulp nodig|bisogno di (?:\w+ )?aiuto|preciso de (?:\w+ )?ajuda)\b"
    r"|\b(?:help|hilfe|aide|ayuda|hulp|aiuto|ajuda)(?: needed| wanted)?\s*:",  # a label
    re.I,
)
# A win is something that happened and went well, said so: "a big win", "Win: ...", "we
# won the deal", "proud of the team", "went live", "shipped". Not "win" as a verb, which
# is mostly a plan ("we need to win Acme"), nor what will be launched or shipped.
_WIN_WORDS = re.compile(
    r"\b(?:(?:a|one|another|our|my|the|first|big|bigger|biggest|main|key|quick|small|nice|"
    r"great|huge|real|team)\s+wins?|wins?\s+(?:this|of the|for the)\s+week|"
    r"won(?![’']t)|proud|celebrat(?:e|ed|ing|ion)|kudos|shout[- ]?outs?|went live|"
    r"(?<!\bbe\s)(?:shipped|launched))\b"
    r"|\bwins?\s*[:：]",  # a label: "Win: first invoice out"
    re.I,
)
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)", re.M)
_WORD_CHARACTER = re.compile(r"\w")
# "n/a", "None.", "Nothing this week", "no blockers", "all good": nothing to record.
# Also "none" and "nothing" in German, French, Spanish, Dutch, Italian and Portuguese.
_NONE_WORDS = r"keine?|nichts|aucune?|ningun[oa]?|geen|niets|nessun[oa]?|niente|nenhuma?"
# Spanish "nada" and French "rien" are also first names ("Nada hasn't signed yet"): they
# say nothing alone, or before the usual few words ("Nada por ahora", "Rien à signaler").
_NADA = (
    r"(?:nada|rien)(?=\W*$|\s+(?:por|pour|de|à|que|a|so far|yet|bloque\w*|block\w*)\b)"
    # Also first names, or English words: "nothing" only alone, or before what is none.
    r"|(?:inga|inget|ingen|ras|nee)(?=\W*$|\s+(?:hinder|problem|blocker\w*|som\b))"
    r"|sem\s+(?=bloqueios?\b|impedimentos?\b|problemas?\b)"
    # Polish: "Brak" alone ("Brak dostępu do API" is a lack of access), "Nic nie blokuje"
    # ("Nic" is also a name), "Żadnych przeszkód".
    r"|brak(?=\W*$|\s+(?:blokad\w*|przeszk\w*|problem\w*)\b)"
    r"|nic(?=\W*$|\s+(?:nie|takiego|szczególnego)\b)|żadn\w+"
)
_NOTHING = re.compile(
    r"^\W*(?:n/?a|none|nothing|nothign|nothin|nope|nil|no|all good|all clear|not really|niks|-+|"
    + _NONE_WORDS
    + "|"
    + _NADA
    + r")\b"
    r"[^.!?\n]{0,30}[.!]?\W*$",
    re.I,
)


# A negation in the same clause, at most two words before a blocker or help phrase, says
# the opposite: "Nothing blocking", "no blockers", "not stuck any more", "I don't need
# help". A comma ends the reach: "Not much progress, blocked on legal" is a blocker.
_NEGATED = re.compile(
    r"(?:\b(?:no|not|nothing|none|never|without|zero|nicht|(?-i:[Pp]as)|sans|sin|niet|non(?!-)"
    r"|n[ãa]o|" + _NONE_WORDS + r")\b|n[’']t\b)(?:[^\w,;]+\w+){0,2}?[^\w,;]+$",
    re.I,
)


_EXCEPT = re.compile(rf"\W*+(?:\w+\W+){{0,2}}?(?:{_EXCEPT_WORDS})\b", re.I)
_LABEL_END = re.compile(r"\s*+(?:[:：]|(?<=\s)[-–—])")
# What a label followed by nothing says: "none", "n/a", "nothing so far", "-".
_NONE_AFTER_LABEL = re.compile(
    r"[^\w-]*+(?:n/?a|none|nothing|nope|nil|no|not really|-++|nada|rien|" + _NONE_WORDS + r")"
    r"(?:\s++(?:really|so far|this week|at the moment|right now|for now|yet|to report|atm))*+"
    r"[\W_]*+",
    re.I,
)


def _negated(text: str, match: re.Match[str]) -> bool:
    """Whether what `match` found in `text` is said not to be so: "no blockers", or a
    label with nothing after it ("Blockers: none", "Help needed: n/a")."""
    if _NEGATED.search(text, max(0, match.start() - 40), match.start()):
        # "Nothing blocking except the firewall change" names one.
        return not _EXCEPT.match(text, match.end())
    if match[0].endswith((":", "：")):  # the pattern took the label's colon
        return bool(_NONE_AFTER_LABEL.fullmatch(text, match.end()))
    label = _LABEL_END.match(text, match.end())
    return label is not None and bool(_NONE_AFTER_LABEL.fullmatch(text, label.end()))


def _any_of(hints: Sequence[str]) -> re.Pattern[str]:
    """A pattern that finds any of `hints`, as plain text: one search of a lowercased text
    instead of a test per hint (a C loop, about twice as fast over most answers)."""
    return re.compile("|".join(re.escape(hint) for hint in hints))


def _may_say_blocked(lowered: str) -> bool:
    """False when `_BLOCKER_WORDS` cannot match: "blocked", "blocking", "blocker", "waiting
    on", "waiting for" and "stuck" each hold one of `_BLOCKER_HINTS` (none with an "i" or
    "s", whose case-insensitive matches include characters that lowercase to something
    else)."""
    return _BLOCKER_HINTS.search(lowered) is not None


# "block", "tuck", "ng on", "ng for", then what each of the other languages' blocker words
# holds (none with an "i" or "s").
_BLOCKER_HINTS = _any_of(
    ("block", "tuck", "ng on", "ng for", "bloq", "blok", "blocc", "warte", "wacht", "ndern",
     "atte", "perando", "guardando", "slowing", "holding", "fest", "stil", "atasc", "travad")
)  # fmt: skip


def _may_ask_for_help(lowered: str) -> bool:
    """False when `_HELP_WORDS` cannot match: each of its phrases holds one of
    `_HELP_HINTS`."""
    return _HELP_HINTS.search(lowered) is not None


# "help", "you", then what each of the other languages' phrases holds ("aide" has an "i": a
# label "AİDE:" with a Turkish capital İ goes unnoted, like a win so written, see
# `_WIN_HINTS`).
_HELP_HINTS = _any_of(
    ("help", "you", "lfe", "unter", "aide", "ayuda", "hulp", "uto", "ajuda", "could use",
     "can use", "appreciate", "decision", "sign", "go-ahead", "approval", "could we", "can we",
     "loop in", "intro", "connect")
)  # fmt: skip


# Every match of `_WIN_WORDS` holds one of these once lowercased (but for a capital "İ" or
# a long "ſ", which the pattern's case-insensitive match takes for "i" and "s": such a
# win goes unnoted; the cost of a cheap test before most texts, which tell of none).
_WIN_HINTS = _any_of(
    ("win", "won", "proud", "celebrat", "kudos", "shout", "live", "shipped", "launched")
)


def _may_tell_a_win(lowered: str) -> bool:
    """False when `_WIN_WORDS` cannot match (see `_WIN_HINTS`)."""
    return _WIN_HINTS.search(lowered) is not None


_SENTENCE_WORDS = {
    "blocker": (_BLOCKER_WORDS, _may_say_blocked),
    "help": (_HELP_WORDS, _may_ask_for_help),
    "win": (_WIN_WORDS, _may_tell_a_win),
}


def says_nothing(text: str) -> bool:
    """Whether an answer only says there is nothing to say ("none", "n/a", "no blockers"),
    also after the writer's initials ("[DR] None", "DR: nothing": inline answers in
    Outlook are often so marked)."""
    stripped = text.strip()
    marked = _INITIALS.match(stripped)
    # Bare capitals may be a team's ("IT: nothing yet, waiting on them"): only before a
    # word or two.
    if marked and (stripped[0] in "[(" or len(stripped[marked.end() :].split()) <= 2):
        stripped = stripped[marked.end() :]
    if not _WORD_CHARACTER.search(stripped):
        return True  # "", "-", "—", "…"
    said = bool(_NOTHING.match(stripped) and len(stripped.split()) <= 6)
    # "All clear except the vendor API" names one.
    return said and not _EXCEPT_ANYWHERE.search(stripped)


_INITIALS = re.compile(r"^(?:\[[^\]\n]{1,12}\]|\((?-i:[A-Z]{2,3})\)|(?-i:[A-Z]{2,3})\s*[:>-])\s*")
_EXCEPT_ANYWHERE = re.compile(rf"\b{_EXCEPT_WORDS}\b|\bnothin\w*\s+but\b", re.I)


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def whole_note(kind: str, text: str) -> list[Note]:
    """The whole answer as one note, unless it says there is nothing.

    An answer whose first paragraph says nothing ("None, thanks.") and that goes on after
    a blank line is often a paragraph glued onto the last numbered answer ("Confidence:
    high"): only what the rest says of `kind`, sentence by sentence, is noted.
    """
    if says_nothing(text):
        return []
    start = len(text) - len(text.lstrip())
    gap = _PARAGRAPH_BREAK.search(text, start)
    if gap and says_nothing(text[start : gap.start()]):
        rest = gap.end()
        return [
            Note(kind, note.text, Span(rest + note.span.start, rest + note.span.end, note.text))
            for note in sentences_with(kind, text[rest:])
        ]
    if kind == "blocker" and _nothing_then_on_track(text):
        return []
    if kind in _DENIABLE and _may_deny(kind, text):
        clauses = list(_CLAUSE.finditer(text))
        denied = [_denies(kind, clause[0]) for clause in clauses]
        if any(denied):
            # "Not blocked anymore, the vendor fixed it": what it says besides is the note
            # (the answer itself is kept word for word; the digest would list the denial as
            # an open blocker, and as the same one as last week's).
            return [
                _note_of(kind, clause)
                for clause, denial in zip(clauses, denied, strict=True)
                if not denial and not says_nothing(clause[0])
            ]
    body = text.strip()
    return [Note(kind, body, Span(start, start + len(body), body))]


# "Nothing behind – the office opening is on track": nothing, then that all is well.
_NOTHING_THEN = re.compile(r"\s*+(?P<nothing>[^.!?;:\n–—]+?)\s*+(?:[.!?;:–—]|\s-)\s*+")
_ON_TRACK = re.compile(
    r"\b(?:on track|on schedule|on time|as planned|going (?:well|fine|ok|okay)|all good"
    r"|im plan|im zeitplan|nach plan|en bonne voie|dans les temps|a tiempo|según lo previsto"
    r"|op schema|op koers|in linea|nei tempi)\b",
    re.I,
)


def _nothing_then_on_track(text: str) -> bool:
    """Whether an answer about blockers says there is none, then only that something is
    going well ("Nothing behind – the Jyväskylä office opening is on track"): no blocker
    word after it, and no "but" or "still" (which tell of one without naming it)."""
    said = _NOTHING_THEN.match(text)
    if said is None or not says_nothing(said["nothing"]):
        return False
    rest = text[said.end() :]
    return (
        _ON_TRACK.search(rest) is not None
        and _BLOCKER_WORDS.search(rest) is None
        and _STILL.search(rest) is None
    )


_DENIABLE = frozenset({"blocker", "help"})
# A blocker said to be over, in its clause: "the vendor blocker is resolved", "the legal
# blocker got sorted", "Blocker on SSO fixed"; said of the blocker itself ("Blocked until
# legal has cleared it", "blocked: two engineers gone" tell of one).
_RESOLVED = re.compile(
    r"\bblock(?:er|age)s?\b[^.!?;\n]{0,60}?\b(?P<over>resolved|fixed|solved|sorted(?:\s+out)?"
    r"|cleared|gone|removed|behind us|over now|erledigt|gelöst|behoben|résolu|réglé|resuelto"
    r"|solucionado|opgelost|resolvido|risolto)\b",
    re.I,
)
# What goes on after it is not over: "resolved, but legal is still slow".
_STILL = re.compile(
    r"\b(?:but|still|however|yet|aber|noch|mais|encore|pero|todavía|maar|nog)\b", re.I
)
# Said of a blocker gone, without a negation: "unblocked since Tuesday".
_UNBLOCKED = re.compile(r"\bun-?blocked\b", re.I)


# A sentence, or a clause of one after a semicolon or before a "but".
_CLAUSE = re.compile(
    r"(?:[^.!?;\n,]++|,(?!\s*(?:but|aber|mais|pero|maar|ma|mas)\b))+(?:[.!?;]+|,|$)",
    re.I | re.M,
)


def _denies(kind: str, clause: str) -> bool:
    """Whether `clause` says there is no such thing (a blocker or a need for help) and
    names none: "Not blocked anymore.", "Unblocked on SSO;", "No longer need help"."""
    if not _may_deny(kind, clause):
        return False
    found = list(_SENTENCE_WORDS[kind][0].finditer(clause))
    if found:
        over = _RESOLVED.search(clause) if kind == "blocker" else None
        if (
            over
            and not _NEGATED.search(clause, over.start(), over.start("over"))
            and not _STILL.search(clause, over.end())
        ):
            return True  # "the earlier blocker with the vendor is resolved"
        return all(_negated(clause, one) for one in found)
    return kind == "blocker" and _UNBLOCKED.search(clause) is not None


def _may_deny(kind: str, text: str) -> bool:
    """False when `_denies` is false of every clause of `text` (a cheap test first)."""
    return _SENTENCE_WORDS[kind][1](text.lower()) or (kind == "blocker" and "nblock" in text)


def _note_of(kind: str, clause: re.Match[str]) -> Note:
    written = clause[0]
    start = clause.start() + len(written) - len(written.lstrip())
    text = written.strip()
    return Note(kind, text, Span(start, start + len(text), text))


def sentences_with(kind: str, text: str) -> list[Note]:
    """Sentences that mention a blocker, ask for help or tell of a win (`kind`), wherever
    they were written."""
    pattern, may_match = _SENTENCE_WORDS[kind]
    # A sentence can only match where the whole text does, and most texts say nothing:
    # a cheap test of the lowercased text (see `_may_hold_a_label`) comes first.
    if not may_match(text.lower()):
        return []
    if not pattern.search(text):
        return []
    notes = []
    for match in _SENTENCE.finditer(text):
        sentence = match[0].strip()
        said = [found for found in pattern.finditer(sentence) if not _negated(sentence, found)]
        if said:
            start = match.start() + (len(match[0]) - len(match[0].lstrip()))
            notes.append(Note(kind, sentence, Span(start, start + len(sentence), sentence)))
    return notes
