"""Read the facts inside one answer: key-result progress, confidence, blockers, help, wins.

Pure functions over a piece of text. Every reading keeps the Span it was read from, with
offsets into the text it was given (the caller shifts them to wherever that text came
from), so a confirmation email or a digest can show "we read 38 from '…38/45…'".

How a passage is cut up (shared by progress and confidence):

- a line that names key results by label ("KR1 38/45, KR2 60%", "60% on KR1") gives one
  *item* per label, so commas inside an item never split it;
- any other line is split into clauses (", ", ";", " and "), and a clause may name a key
  result by the words of its title ("onboarding: 60%");
- in a *listed* passage (the answer to a progress or confidence question) a line may also
  start with a bare number ("2) 60%"), and items naming no key result are matched to the
  key results in order when their counts agree ("60%, 38/45, done").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

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
    start and target), "done" (value = target) or "no-change" (value = current).
    """

    kr_number: int
    value: Decimal | None
    percent: Decimal | None
    status: str
    span: Span


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


# -- numbers --------------------------------------------------------------------------------

# "12,500", "1 250" (narrow/no-break space), "38", "2.5", "1,5" (decimal comma), then an
# optional k/m/bn multiplier that is not the start of a word ("45 min" is not 45 million).
_NUMBER = (
    r"(?<![\w.,])[$€£]?"
    r"(?:\d{1,3}(?:[,\u00a0\u202f]\d{3})+(?![\d,])|\d+)(?:[.,]\d+)?"
    r"(?:\s?(?:k|m|bn)(?![a-z]))?"
)
_NUMBER_RE = re.compile(_NUMBER, re.I)
_NUMBER_PARTS = re.compile(r"[$€£]?(?P<digits>[\d,.\u00a0\u202f]+?)\s?(?P<suffix>k|m|bn)?$", re.I)
_THOUSANDS = re.compile(r"^\d{1,3}(?:[,\u00a0\u202f]\d{3})+(?:\.\d+)?$")
_MULTIPLIERS = {"k": Decimal(1000), "m": Decimal(1_000_000), "bn": Decimal(1_000_000_000)}


def parse_number(text: str) -> Decimal | None:
    """'12,500' -> 12500, '1.2m' -> 1200000, '40k' -> 40000, '1,5' -> 1.5; else None.

    A comma followed by exactly three digits separates thousands; any other comma is a
    decimal comma (as most of Europe writes it).
    """
    parts = _NUMBER_PARTS.match(text.strip())
    if not parts:
        return None
    digits = parts["digits"]
    if _THOUSANDS.match(digits):
        digits = re.sub(r"[,\u00a0\u202f]", "", digits)
    else:
        digits = digits.replace(",", ".")
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    suffix = (parts["suffix"] or "").lower()
    return tidy(value * _MULTIPLIERS[suffix]) if suffix else tidy(value)


def tidy(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (1.2E+6)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


# -- key-result references ------------------------------------------------------------------

# "KR1", "KR 2", "kr#3", "Key result 2"
_KR_LABEL = re.compile(r"\b(?:KR|key[\s-]*result)\s*#?\s*(\d{1,2})\b", re.I)
# In a listed answer, "2) 60%" or "- 2. 38/45" at the start of a line names KR2.
_LIST_NUMBER = re.compile(r"^\s*(?:[-*•]\s*)?(\d{1,2})\s*[.):]\s+")
_WORD = re.compile(r"[^\W\d_]+")
# Words that say what kind of change a key result wants, not which one it is.
_GENERIC_TITLE_WORDS = frozenset(
    """increase raise reduce decrease improve launch ship grow reach achieve keep maintain
    least more less than each from with into across within under over their this that
    every without about before after""".split()  # noqa: SIM905 (a list of words, kept short)
)
_STEM = 5  # "teams"/"team", "onboarding"/"onboarded": compare the first letters only


@dataclass(frozen=True)
class _Item:
    """A piece of a passage about one key result (kr None: not known which)."""

    kr: int | None
    start: int
    end: int
    labelled: bool  # named by a label (KR2, "2)") rather than by title words or order


def _stems(text: str) -> set[str]:
    return {
        word.lower()[:_STEM]
        for word in _WORD.findall(text)
        if len(word) >= 4 and word.lower() not in _GENERIC_TITLE_WORDS
    }


def _distinctive_stems(key_results: Sequence[KeyResultRef]) -> dict[int, set[str]]:
    """For each key result, the title stems no other key result shares."""
    stems = {kr.number: _stems(kr.title) for kr in key_results}
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
    scores = {number: len(words & stems) for number, stems in distinctive.items()}
    best = max(scores.values(), default=0)
    winners = [number for number, score in scores.items() if score == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def _labels(line: str, offset: int, numbers: set[int], listed: bool) -> list[tuple[int, int, int]]:
    """(kr, start, end) of every label on a line naming one of `numbers`."""
    found = [
        (int(match[1]), offset + match.start(), offset + match.end())
        for match in _KR_LABEL.finditer(line)
        if int(match[1]) in numbers
    ]
    listed_number = _LIST_NUMBER.match(line) if listed else None
    if listed_number and not found and int(listed_number[1]) in numbers:
        found.append((int(listed_number[1]), offset, offset + listed_number.end()))
    return found


# Clause boundaries inside a line: ", " and ";" and " and " (not "12,500" or "1,5").
_CLAUSE_BREAK = re.compile(r",\s+|;\s*|\s+(?:and|&)\s+|\.\s+(?=[A-Z])")


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) for every non-blank line."""
    result, offset = [], 0
    for line in text.split("\n"):
        if line.strip():
            result.append((offset, line))
        offset += len(line) + 1
    return result


def _label_items(line: str, offset: int, labels: list[tuple[int, int, int]]) -> list[_Item]:
    """Cut a labelled line into one item per label.

    "KR1 38/45, KR2 60%" puts values after their labels; "60% on KR1, 38/45 for KR2" puts
    them before. Which one the line does is told by whether anything readable comes before
    its first label.
    """
    ends = [start for _, start, _ in labels[1:]] + [offset + len(line)]
    before_first = line[: labels[0][1] - offset]
    if _has_reading(before_first):
        starts = [offset] + [end for _, _, end in labels[:-1]]
        return [
            _Item(kr, begin, end, True) for (kr, _, end), begin in zip(labels, starts, strict=True)
        ]
    return [_Item(kr, end, stop, True) for (kr, _, end), stop in zip(labels, ends, strict=True)]


def _clause_items(line: str, offset: int, distinctive: dict[int, set[str]]) -> list[_Item]:
    items, begin = [], 0
    for boundary in [*_CLAUSE_BREAK.finditer(line), None]:
        stop = boundary.start() if boundary else len(line)
        clause = line[begin:stop]
        if clause.strip():
            items.append(
                _Item(_kr_by_name(clause, distinctive), offset + begin, offset + stop, False)
            )
        begin = boundary.end() if boundary else len(line)
    return items


def items_of(
    text: str, key_results: Sequence[KeyResultRef], *, listed: bool, kr_number: int | None = None
) -> list[_Item]:
    """Cut a passage into items, each naming at most one key result (see module docs).

    `kr_number`: the passage is known to be about that key result (an answer written
    under its line in the quoted prompt), so items naming none are about it.
    """
    numbers = {kr.number for kr in key_results}
    distinctive = _distinctive_stems(key_results)
    items: list[_Item] = []
    for offset, line in _lines(text):
        labels = _labels(line, offset, numbers, listed)
        if labels:
            items.extend(_label_items(line, offset, labels))
        else:
            items.extend(_clause_items(line, offset, distinctive))
    if kr_number is not None:
        items = [
            item if item.kr else _Item(kr_number, item.start, item.end, True) for item in items
        ]
    return items


# -- progress -------------------------------------------------------------------------------

_RATIO = re.compile(rf"({_NUMBER})\s*(?:/|\bout\s+of\b|\bof\b)\s*({_NUMBER})", re.I)
_PERCENT = re.compile(rf"({_NUMBER})\s*(?:%|\bpercent\b|\bpct\b|\bper\s?cent\b)", re.I)
_FROM_TO = re.compile(rf"(?:\bfrom\s+)?{_NUMBER}\s*(?:->|→|=>|\bto\b)\s*({_NUMBER})", re.I)
_DONE = re.compile(r"\b(?:done|completed?|finished|achieved|hit it|nailed it)\b", re.I)
_NO_CHANGE = re.compile(
    r"\b(?:no change|unchanged|same as (?:last|before|previous)(?: \w+)?|no progress|"
    r"not changed|no movement|flat|as before)\b",
    re.I,
)
# Confidence talk inside a progress item ("38/45, confidence 8") is not progress.
_CONFIDENCE_WORD = re.compile(r"\bconfiden\w*|\bconfidence\b", re.I)


def _has_reading(text: str) -> bool:
    return bool(
        _NUMBER_RE.search(text)
        or _DONE.search(text)
        or _NO_CHANGE.search(text)
        or _score_match(text)
    )


@dataclass(frozen=True)
class ProgressScan:
    readings: list[ProgressReading]
    unclear: list[str]


def _value_from_percent(kr: KeyResultRef, percent: Decimal) -> Decimal:
    return tidy(kr.start + (kr.target - kr.start) * percent / 100)


def _progress_in(
    text: str, offset: int, kr: KeyResultRef, bare_numbers: bool
) -> ProgressReading | None:
    """The first progress statement in one item's text, most explicit form first."""
    cut = _CONFIDENCE_WORD.search(text)
    text = text[: cut.start()] if cut else text
    ratio = _RATIO.search(text)
    if ratio:
        value = parse_number(ratio[1])
        return _reading(kr, value, None, "value", ratio, offset, text)
    percent = _PERCENT.search(text)
    if percent:
        share = parse_number(percent[1])
        if share is not None:
            value = _value_from_percent(kr, share)
            return _reading(kr, value, share, "percent", percent, offset, text)
    moved = _FROM_TO.search(text)
    if moved:
        return _reading(kr, parse_number(moved[1]), None, "value", moved, offset, text)
    if bare_numbers:
        number = _first_bare_number(text, kr)
        if number:
            return _reading(kr, parse_number(number[0]), None, "value", number, offset, text)
    done = _DONE.search(text)
    if done:
        return _reading(kr, kr.target, Decimal(100), "done", done, offset, text)
    same = _NO_CHANGE.search(text)
    if same:
        return _reading(kr, kr.current, None, "no-change", same, offset, text)
    return None


def _first_bare_number(text: str, kr: KeyResultRef) -> re.Match[str] | None:
    """The first number that is not one of the title's own ("from 30 to 45 teams: 38")."""
    title_numbers = {parse_number(match[0]) for match in _NUMBER_RE.finditer(kr.title)}
    for match in _NUMBER_RE.finditer(text):
        if parse_number(match[0]) not in title_numbers:
            return match
    return None


def _reading(
    kr: KeyResultRef,
    value: Decimal | None,
    percent: Decimal | None,
    status: str,
    match: re.Match[str],
    offset: int,
    text: str,
) -> ProgressReading:
    span = Span(offset + match.start(), offset + match.end(), text[match.start() : match.end()])
    return ProgressReading(kr.number, value, percent, status, span)


def read_progress(
    text: str,
    key_results: Sequence[KeyResultRef],
    *,
    listed: bool,
    kr_number: int | None = None,
) -> ProgressScan:
    """Progress readings in a passage, at most one per key result (the first wins).

    listed: the passage answers a progress question, so bare numbers count ("KR1: 38"),
    lines may be numbered by key result, and unnamed items are matched by order. In free
    text only explicit forms count (38/45, 60%, done, no change) and "could not read"
    complaints are not raised (a KR named in passing is not a progress statement).
    """
    by_number = {kr.number: kr for kr in key_results}
    items = _merge_continuations(
        items_of(text, key_results, listed=listed, kr_number=kr_number), text
    )
    if listed:
        items = _assign_by_order(items, text, len(key_results), _progress_probe(by_number))
    readings: dict[int, ProgressReading] = {}
    unclear: list[str] = []
    for item in items:
        if item.kr is None or item.kr in readings:
            continue
        kr = by_number[item.kr]
        reading = _progress_in(text[item.start : item.end], item.start, kr, listed or item.labelled)
        if reading:
            readings[item.kr] = reading
        elif listed and item.labelled:
            unclear.append(_unclear("a value", item.kr, text[item.start : item.end]))
    if listed and not readings:
        readings = _progress_for_all(text, key_results)
        if not readings and text.strip() and not unclear:
            unclear.append(f'could not read any key-result progress in "{_short(text)}"')
    return ProgressScan(sorted(readings.values(), key=lambda r: r.kr_number), unclear)


def _progress_for_all(text: str, key_results: Sequence[KeyResultRef]) -> dict[int, ProgressReading]:
    """A lone "no change" / "all done" with no key result named speaks for all of them."""
    if _NUMBER_RE.search(text):
        return {}
    for pattern, status in ((_NO_CHANGE, "no-change"), (_DONE, "done")):
        match = pattern.search(text)
        if match:
            span = Span(match.start(), match.end(), match[0])
            return {
                kr.number: ProgressReading(
                    kr.number,
                    kr.current if status == "no-change" else kr.target,
                    Decimal(100) if status == "done" else None,
                    status,
                    span,
                )
                for kr in key_results
            }
    return {}


def _progress_probe(by_number: dict[int, KeyResultRef]) -> Callable[[str], bool]:
    """Whether an item's text holds a progress statement (any key result will do)."""
    any_kr = next(iter(by_number.values()), None)

    def probe(text: str) -> bool:
        return any_kr is not None and _progress_in(text, 0, any_kr, True) is not None

    return probe


def _merge_continuations(items: list[_Item], text: str) -> list[_Item]:
    """ "KR1:" on one line and "38/45" on the next are one item."""
    merged: list[_Item] = []
    for item in items:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.labelled
            and item.kr is None
            and not _has_reading(text[previous.start : previous.end])
        ):
            merged[-1] = _Item(previous.kr, previous.start, item.end, True)
            continue
        merged.append(item)
    return merged


def _assign_by_order(
    items: list[_Item], text: str, count: int, probe: Callable[[str], bool]
) -> list[_Item]:
    """Items naming no key result at all, as many as there are key results: KR1, KR2, ..."""
    if any(item.kr is not None for item in items):
        return items
    readable = [item for item in items if probe(text[item.start : item.end])]
    if len(readable) != count or count < 1:
        return items
    numbers = iter(range(1, count + 1))
    return [
        _Item(next(numbers), item.start, item.end, False) if item in readable else item
        for item in items
    ]


def _unclear(what: str, kr_number: int, text: str) -> str:
    return f'could not read {what} for KR{kr_number} in "{_short(text)}"'


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# -- confidence -----------------------------------------------------------------------------

_SCORE_OUT_OF_TEN = re.compile(
    r"(?<![\d.])(10|[1-9])(?:[.,]\d)?\s*(?:/|\bout\s+of\b|\bof\b)\s*10\b", re.I
)
_SCORE_PERCENT = re.compile(r"(?<![\d.])(100|\d{1,2})\s*(?:%|\bpercent\b)", re.I)
_SCORE_BARE = re.compile(r"(?<![\w.,/])(10|[1-9])(?:[.,](\d))?(?![\w%/]|[.,]\d)")
# Words and emoji people use instead of numbers; mapped onto the 1-10 scale.
_SCORE_WORDS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"\boff[\s-]track\b|\bvery low\b", re.I), 2),
    (re.compile(r"\bat[\s-]risk\b", re.I), 5),
    (re.compile(r"\bon[\s-]track\b|\bvery high\b", re.I), 8),
    (re.compile(r"\bhigh\b|\bgreen\b", re.I), 8),
    (re.compile(r"\bmedium\b|\bmoderate\b|\bmid\b|\byellow\b|\bamber\b|\borange\b", re.I), 5),
    (re.compile(r"\blow\b|\bred\b", re.I), 2),
    (re.compile("[\U0001f7e2\u2705\U0001f44d\u2714]"), 8),
    (re.compile("[\U0001f7e1\U0001f7e0\u26a0\U0001f610]"), 5),
    (re.compile("[\U0001f534\u274c\U0001f44e]"), 2),
)


def _scores(text: str) -> list[tuple[int, re.Match[str]]]:
    """Every score in the text as (score 1-10, where), in reading order."""
    found: list[tuple[int, re.Match[str]]] = []
    tens = list(_SCORE_OUT_OF_TEN.finditer(text))
    found.extend((int(match[1]), match) for match in tens)
    found.extend(
        (max(1, min(10, round(int(match[1]) / 10))), match)
        for match in _SCORE_PERCENT.finditer(text)
    )
    for pattern, score in _SCORE_WORDS:
        found.extend((score, match) for match in pattern.finditer(text))
    for match in _SCORE_BARE.finditer(text):
        if not any(ten.start() <= match.start() < ten.end() for ten in tens):
            rounded = int(match[1]) + (1 if match[2] and int(match[2]) >= 5 else 0)
            found.append((min(10, rounded), match))
    return sorted(found, key=lambda entry: entry[1].start())


def _score_match(text: str) -> tuple[int, re.Match[str]] | None:
    """The first score in the text, as (score 1-10, where)."""
    found = _scores(text)
    return found[0] if found else None


def _has_score(text: str) -> bool:
    return bool(_scores(text))


def _score_near_keyword(text: str, item: _Item) -> tuple[int, Span] | None:
    """The score of one item: the first one after "confidence" if the item says so, else
    the last one before it ("8/10 confident"), else (no keyword) the first one."""
    keyword = _CONFIDENCE_WORD.search(text, item.start, item.end)
    if keyword:
        after = _scores(text[keyword.end() : item.end])
        before = _scores(text[item.start : keyword.start()])
        if after:
            return _score_span(after[0], keyword.end())
        return _score_span(before[-1], item.start) if before else None
    found = _scores(text[item.start : item.end])
    return _score_span(found[0], item.start) if found else None


def _score_span(found: tuple[int, re.Match[str]], offset: int) -> tuple[int, Span]:
    score, match = found
    return score, Span(offset + match.start(), offset + match.end(), match[0])


@dataclass(frozen=True)
class ConfidenceScan:
    readings: list[ConfidenceReading]
    unclear: list[str]


def read_confidence(
    text: str, key_results: Sequence[KeyResultRef], *, answer: bool
) -> ConfidenceScan:
    """Confidence scores in a passage: per key result where one is named, else overall.

    answer: the passage answers a confidence question, so a bare number or word is a score.
    Elsewhere only an item that says "confidence"/"confident" is read, from that word on
    ("38/45, confidence 8" must not read 38 or 45). When an answer has items that say
    "confidence" and items that do not ("Confidence 7, energy medium"), only the first kind
    is read.
    """
    items = _merge_continuations(items_of(text, key_results, listed=answer), text)
    talk = [item for item in items if _CONFIDENCE_WORD.search(text, item.start, item.end)]
    if not answer or talk:
        items = talk
    if answer:
        items = _assign_by_order(items, text, len(key_results), _has_score)
    readings: dict[int | None, ConfidenceReading] = {}
    unclear: list[str] = []
    for item in items:
        found = _score_near_keyword(text, item)
        if found is None:
            if answer and item.kr is not None:
                unclear.append(_unclear("a confidence", item.kr, text[item.start : item.end]))
            continue
        if item.kr not in readings:
            readings[item.kr] = ConfidenceReading(item.kr, *found)
    return ConfidenceScan(list(readings.values()), unclear)


# -- blockers, help, wins -------------------------------------------------------------------

_BLOCKER_WORDS = re.compile(r"\b(?:blocked|blocking|blocker|waiting (?:on|for)|stuck)\b", re.I)
_HELP_WORDS = re.compile(
    r"\b(?:need(?:s|ed)? (?:\w+ )?help|could you|can you|would you mind)\b", re.I
)
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)", re.M)
# "n/a", "None.", "Nothing this week", "no blockers", "all good": nothing to record.
_NOTHING = re.compile(
    r"^\W*(?:n/?a|none|nothing|nope|nil|no|all good|not really|-+)\b[^.!?\n]{0,30}[.!]?\W*$",
    re.I,
)


def says_nothing(text: str) -> bool:
    """Whether an answer only says there is nothing to say ("none", "n/a", "no blockers")."""
    stripped = text.strip()
    return not stripped or bool(_NOTHING.match(stripped) and len(stripped.split()) <= 6)


def whole_note(kind: str, text: str) -> list[Note]:
    """The whole answer as one note, unless it says there is nothing."""
    if says_nothing(text):
        return []
    start = len(text) - len(text.lstrip())
    body = text.strip()
    return [Note(kind, body, Span(start, start + len(body), body))]


def sentences_with(kind: str, text: str) -> list[Note]:
    """Sentences that mention a blocker or ask for help, wherever they were written."""
    pattern = _BLOCKER_WORDS if kind == "blocker" else _HELP_WORDS
    notes = []
    for match in _SENTENCE.finditer(text):
        sentence = match[0].strip()
        if sentence and pattern.search(sentence):
            start = match.start() + (len(match[0]) - len(match[0].lstrip()))
            notes.append(Note(kind, sentence, Span(start, start + len(sentence), sentence)))
    return notes
