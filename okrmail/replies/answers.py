"""Map a reply's text onto the questions we sent, then read the facts in each answer.

We know exactly what the prompt email said, so the quoted prompt is the best map of the
reply. Three shapes are recognised, in this order:

1. **inline**: answers written under each quoted question ("> 1. What progress…" then the
   answer). The quoted questions are found by their words, not their exact lines, because
   clients re-wrap and re-quote them (Outlook quotes with no ">" at all). Text written
   under a quoted key-result line counts as progress on that key result.
2. **top-posted**: the reply above the quote (found by `trim_reply`) answers the questions
   by number ("1.", "2)", "Q3:", "#4", "5 -") or by a label made of a question's keyword
   ("Blockers: …").
3. **free text**: no structure at all. With a single question that is its answer;
   otherwise it is kept in `notes` and still read for progress, confidence and blockers.

Nothing the person wrote is lost: text that belongs to no question ends up in `notes`.
The quoted prompt itself (questions, hints, key-result lines, instructions, footer) never
becomes an answer. Spans are offsets into `body_text` exactly as it was given.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from itertools import islice

from okrmail.prompting import (
    RECAP_MARKER,
    REPLY_MARKER,
    earlier_progress_lines,
    format_value,
    prompt_progress_line,
)
from okrmail.questions import NOTE_KIND, Question
from okrmail.replies.courtesy import SIGN_OFF, is_name
from okrmail.replies.fields import (
    ConfidenceReading,
    KeyResultRef,
    Note,
    ProgressReading,
    Span,
    lone_value_fits,
    progress_corrections,
    read_confidence,
    read_progress,
    says_confidence,
    says_status,
    sentences_with,
    whole_note,
)
from okrmail.replies.numbers import NUMBER_RE, parse_number
from okrmail.replies.trim import trimmed_lines

__all__ = [
    "Answer",
    "ConfidenceReading",
    "KeyResultRef",
    "Note",
    "ParsedReply",
    "ProgressReading",
    "Span",
    "parse_reply",
]


@dataclass(frozen=True)
class Answer:
    question_key: str
    text: str
    span: Span
    how: str  # inline | numbered | labelled | single-question


@dataclass
class ParsedReply:
    answers: dict[str, Answer]
    notes: str
    progress: list[ProgressReading] = field(default_factory=list)
    confidence: list[ConfidenceReading] = field(default_factory=list)
    blockers: list[Note] = field(default_factory=list)
    help_requests: list[Note] = field(default_factory=list)
    wins: list[Note] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unclear: list[str] = field(default_factory=list)
    # Where `notes` lies in the body, first character to last: its pieces are joined
    # with newlines and right-stripped, so it is not always a substring of the body.
    notes_span: Span | None = None


# -- lines and passages ---------------------------------------------------------------------

_QUOTE_PREFIX = re.compile(r"^(?:[ \t]*>)+[ \t]?")
_TOKEN = re.compile(r"[\w'’]+")


# Not frozen, with slots: one is built for every line of every reply, and that is faster.
@dataclass(slots=True)
class _Line:
    index: int
    raw: str  # the line as written, without its line ending
    depth: int  # how many ">" quote levels
    content: str  # the line without its quote marks
    content_start: int  # offset of `content` in the body
    known_words: tuple[str, ...] | None = field(default=None, repr=False)  # see `words`

    @property
    def words(self) -> tuple[str, ...]:
        """The normalised words of `content` (as `_tokens` gives them).

        Worked out on first use: most lines of a reply are never compared word by word
        (the anchor search and the marker test rule them out from cheaper clues first).
        """
        if self.known_words is None:
            self.known_words = _line_words(self.content)
        return self.known_words

    def word_start(self, number: int) -> int:
        """Where `words[number]` starts in `content`."""
        return next(islice(_TOKEN.finditer(self.content), number, None)).start()


def _split_lines(body: str) -> list[_Line]:
    lines, offset = [], 0
    crlf = "\r" in body  # else there is nothing to remove from each line
    for index, raw in enumerate(body.split("\n")):
        text = raw.removesuffix("\r") if crlf else raw
        # A quote prefix starts with ">", a space or a tab: most other lines need no match.
        if text[:1] in _QUOTE_PREFIX_STARTS:
            depth, cut = _quote_prefix(text)
            lines.append(_Line(index, text, depth, text[cut:], offset + cut))
        else:  # no quote prefix: the content is the whole line
            lines.append(_Line(index, text, 0, text, offset))
        offset += len(raw) + 1
    return lines


_QUOTE_PREFIX_STARTS = frozenset(" \t>")


@lru_cache(maxsize=8192)
def _quote_prefix(text: str) -> tuple[int, int]:
    """(quote depth, length of the quote prefix) of a line.

    Cached: most quoted lines are the prompt's, which come back in every reply.
    """
    prefix = _QUOTE_PREFIX.match(text)
    return (prefix[0].count(">"), prefix.end()) if prefix else (0, 0)


# Slotted, not frozen (quicker to build, several per reply); never changed once built.
@dataclass(slots=True)
class _Piece:
    """Some text the person wrote and where it starts in the body."""

    start: int
    text: str


# Slotted, not frozen (quicker to build, several per reply); never changed once built.
@dataclass(slots=True)
class _Passage:
    """Pieces joined with newlines, remembering where each character came from.

    Kept as runs, not one offset per character (answers can be long): the characters of
    `text` from run_starts[k] up to run_starts[k + 1] came from consecutive body offsets
    starting at run_origins[k].
    """

    text: str
    run_starts: tuple[int, ...]  # ascending offsets in text
    run_origins: tuple[int, ...]  # the body offset of each run's first character

    @classmethod
    def of(cls, pieces: Sequence[_Piece]) -> _Passage:
        if len(pieces) <= 1:
            return cls._of_one(pieces[0]) if pieces else cls("", (), ())
        # The pieces' starts and right-stripped texts, kept apart rather than as new
        # pieces: a blank piece is then an empty text, and blank ends are cut by index.
        starts = [piece.start for piece in pieces]
        texts = [piece.text.rstrip() for piece in pieces]
        first, stop = 0, len(texts)
        while first < stop and not texts[first]:
            first += 1
        while stop > first and not texts[stop - 1]:
            stop -= 1
        starts, texts = starts[first:stop], texts[first:stop]
        if texts:  # an answer after a label or number starts at its first word
            indent = len(texts[0]) - len(texts[0].lstrip())
            starts[0], texts[0] = starts[0] + indent, texts[0][indent:]
        run_starts: list[int] = []
        run_origins: list[int] = []
        at, last = 0, None  # where the next character goes; where the last one came from
        for number, (start, text) in enumerate(zip(starts, texts, strict=True)):
            if number:  # the joining newline stands for the end of the previous piece
                last = last + 1 if last is not None else start
                run_starts.append(at)
                run_origins.append(last)
                at += 1
            if text:
                run_starts.append(at)
                run_origins.append(start)
                at += len(text)
                last = start + len(text) - 1
        return cls("\n".join(texts), tuple(run_starts), tuple(run_origins))

    @classmethod
    def _of_one(cls, piece: _Piece) -> _Passage:
        """`of([piece])`, without the lists: most passages are one piece (an answer on
        one line, a key result's progress). The same result: a blank piece gives an empty
        passage, else its text without blank ends is one run from its first word."""
        text = piece.text.rstrip()
        if not text:
            return cls("", (), ())
        indent = len(text) - len(text.lstrip())
        return cls(text[indent:], (0,), (piece.start + indent,))

    def origin(self, index: int) -> int:
        """The body offset of text[index] (0 <= index < len(text))."""
        run = bisect_right(self.run_starts, index) - 1
        return self.run_origins[run] + index - self.run_starts[run]

    def span(self, start: int, end: int, body: str) -> Span:
        """The body span of text[start:end]."""
        if not self.text:
            return Span(0, 0, "")
        first, last = min(start, len(self.text) - 1), max(min(end, len(self.text)) - 1, 0)
        if len(self.run_origins) == 1:
            # One run (most passages), starting at 0 as a non-empty text's first run
            # does: `origin` shifts every index by the same amount.
            begin, stop = self.run_origins[0] + first, self.run_origins[0] + last + 1
        else:
            begin, stop = self.origin(first), self.origin(last) + 1
        return Span(begin, stop, body[begin:stop])


def _strip_blank_ends(pieces: list[_Piece]) -> list[_Piece]:
    # Found by index, then sliced once: slicing off one blank at a time copied the list
    # for each (seconds for a reply of 20,000 blank lines).
    start, stop = 0, len(pieces)
    while start < stop and not pieces[start].text.strip():
        start += 1
    while stop > start and not pieces[stop - 1].text.strip():
        stop -= 1
    return pieces[start:stop]


def _pieces(lines: Iterable[_Line]) -> list[_Piece]:
    return [_Piece(line.content_start, line.content) for line in lines]


def _normalised(token: str) -> str:
    return token.replace("'", "").replace("’", "").lower()


def _tokens(text: str) -> list[str]:
    return [_normalised(token) for token in _TOKEN.findall(text)]


@lru_cache(maxsize=8192)
def _line_words(text: str) -> tuple[str, ...]:
    """`_tokens(text)`, faster: the line is lowered once instead of word by word.

    Cached: the quoted prompt's lines come back in every reply (see `_opening`).
    """
    lowered = text.lower()
    if len(lowered) != len(text) or "Σ" in text:
        # lower() made a character longer ("İ"), so word edges may move, or met a capital
        # sigma, whose lowercase depends on the letters around it: word by word, then.
        return tuple(_tokens(text))
    # Otherwise lower() mapped each character to one character of the same kind, word or
    # not (true of every code point whose lowercase is one character), so the lowered
    # line splits into the same words, already lowered.
    words = _TOKEN.findall(lowered)
    if "'" in text or "’" in text:
        return tuple(word.replace("'", "").replace("’", "") for word in words)
    return tuple(words)


# -- the quoted prompt ----------------------------------------------------------------------

# "1. ", "Q1: ", "#1 " before a quoted (or copied) question.
_QUESTION_NUMBER = re.compile(r"^\s*(?:[-*•]\s*)?(?:Q\s*)?#?\d{1,2}\s*[.):-]?\s+", re.I)
_KR_LINE = re.compile(r"^\s*(?:[-*•]\s*)?KR\s*(\d{1,2})\b[.:]?", re.I)
# The first characters (after blanks) these can match: a bullet, "Q" or "#" (or a digit);
# a bullet or "K" (re.I also matches the Kelvin sign "K" with "k").
_QUESTION_NUMBER_STARTS = frozenset("-*•Qq#")
_KR_LINE_STARTS = frozenset("-*•Kk\u212a")
# Lines of templates/email/prompt.txt and prompt.html that are neither questions nor key
# results: the section headings and the footer paragraph.
_TEMPLATE_HEADING = re.compile(
    r"^\s*(?:questions|your key results\b.*"
    r"|[^\W\d_][\w.'’-]{0,40}['’]s key results(?:\s*+\([^()\n]*\))?)\s*+:?\s*+$",  # a manager's
    re.I,
)
_TEMPLATE_FOOTER = re.compile(r"^\s*Sent by okrmail\b", re.I)
_SIGNATURE_DASHES = re.compile(r"^\s*--\s*$")
_MARKER_TOKENS = tuple(_tokens(REPLY_MARKER))
_MARKER_PROBES = tuple(sorted(set(_MARKER_TOKENS), key=len)[-2:])  # see _is_marker
_RECAP_TOKENS = tuple(_tokens(RECAP_MARKER))
_RECAP_PROBES = tuple(sorted(set(_RECAP_TOKENS), key=len)[-2:])
_RECAP_WORD = "recorded"  # a word of the marker that replies to prompts seldom hold
_MIN_START_MATCHES = 4  # a quoted question is recognised from its first few words
_MATCH_SHARE = 0.75  # at least this share of a line's words must follow the question
_COMPLETE_SHARE = 0.85  # a quoted question must be (nearly) whole ...
_MIN_SENTENCE_WORDS = 6  # ... or give at least one whole sentence of this many words
_SENTENCE_END = re.compile(r"[.?!](?=\s|$)")


# Slotted, not frozen (quicker to build, several per reply); never changed once built.
@dataclass(slots=True)
class _Anchor:
    """A quoted question (or key-result line) of our prompt inside the reply."""

    first: int  # index of its first line
    last: int  # index of its last line
    question: Question | None
    kr_number: int | None = None
    # (line index, offset) where an answer typed on one of its own lines starts:
    # "… on a scale of 1 to 10? KR1 8, KR2 5" (Outlook users type right after the "?").
    same_line: tuple[tuple[int, int], ...] = ()


def _align(tokens: tuple[str, ...], expected: tuple[str, ...], pos: int) -> tuple[int, int, int]:
    """Follow `tokens` along `expected` from `pos`: (tokens used, new pos, exact matches).

    Clients re-wrap quoted lines and mangle the odd word ("don’t", "1-on-1"), so one word
    may be changed, added or dropped at a time; two misses in a row end the run.
    """
    count, length = len(tokens), len(expected)
    if count <= length - pos and expected[pos : pos + count] == tokens:
        return count, pos + count, count  # our words verbatim, as most quoted lines are
    # Called for nearly every quoted line: lengths and items are bound to locals.
    i, j, misses = 0, pos, 0
    used, reached, matched = 0, pos, 0
    while i < count and j < length and misses < 2:
        token, wanted = tokens[i], expected[j]
        if token == wanted:
            i, j, misses = i + 1, j + 1, 0
            used, reached, matched = i, j, matched + 1
        elif j + 1 < length and token == expected[j + 1]:
            j, misses = j + 1, misses + 1  # a word of ours is missing here
        elif i + 1 < count and tokens[i + 1] == wanted:
            i, misses = i + 1, misses + 1  # a word was added here
        else:
            i, j, misses = i + 1, j + 1, misses + 1
    return used, reached, matched


def _follow(
    lines: Sequence[_Line],
    index: int,
    start_at: int,
    expected: tuple[str, ...],
    first_words: int,
    enough: Sequence[int] = (),
) -> tuple[int, int | None] | None:
    """Match a (possibly re-wrapped) run of our text starting on lines[index].

    Returns (last line index, offset on that line where the person's own text starts, if
    any), or None when the text is not there. `first_words`: how many words must match
    on the first line before we believe it. The run must be (nearly) whole, or reach one
    of the word counts in `enough` (the end of a sentence: people who copy a question
    into their reply often copy only its first sentence).
    """
    opening = _opening_run(lines[index].content, start_at, expected, first_words)
    if opening is None:
        return None
    # skipped: words of lines[last] before the matched ones; count: the words after them.
    skipped, count, used, pos = opening
    last = index
    while used == count and pos < len(expected) and last + 1 < len(lines):
        following = lines[last + 1].words
        next_used, reached, matched = _align(following, expected, pos)
        if not following or matched == 0 or matched < _MATCH_SHARE * next_used:
            break
        last, pos, count, used, skipped = last + 1, reached, len(following), next_used, 0
    if pos < _COMPLETE_SHARE * len(expected) and not any(
        _MIN_SENTENCE_WORDS <= stop <= pos for stop in enough
    ):
        return None
    return last, lines[last].word_start(skipped + used) if used < count else None


@lru_cache(maxsize=8192)
def _opening_run(
    content: str, start_at: int, expected: tuple[str, ...], first_words: int
) -> tuple[int, int, int, int] | None:
    """How the first line of a run of our text (`_follow`) matches `expected`, from
    `start_at` in its `content`: (words before `start_at`, words from there on, how many
    of those `_align` used, its new position), or None when the line does not start it.

    Cached: the anchor search tries every question (and hint, and key-result title) on
    the prompt's quoted lines, which come back in every reply.
    """
    # Words before `start_at` (one running across it is cut short but counted once).
    skipped = len(_TOKEN.findall(content, 0, start_at)) if start_at else 0
    words = _line_words(content)[skipped:]
    if not words or words[0] not in expected[:2]:
        return None
    used, pos, matched = _align(words, expected, 0)
    if matched < min(first_words, len(expected)) or matched < _MATCH_SHARE * used:
        return None
    return skipped, len(words), used, pos


# A question's words, the word counts at which its sentences end, its hint's words.
_Shape = tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...]]


def _question_anchor(
    lines: Sequence[_Line], index: int, start_at: int, question: Question, shape: _Shape
) -> _Anchor | None:
    """The quoted `question` starting on lines[index] (after its number, at `start_at`)."""
    words, sentence_ends, hint_words = shape
    found = _follow(lines, index, start_at, words, _MIN_START_MATCHES, sentence_ends)
    if found is None:
        return None
    last, rest = found
    same_line = [(last, rest)] if rest is not None else []
    hint = _hint(lines, last, hint_words) if hint_words else None
    if hint:
        last, rest = hint
        same_line += [(last, rest)] if rest is not None else []
    return _Anchor(index, last, question, None, tuple(same_line))


@lru_cache(maxsize=64)
def _shapes(texts: tuple[tuple[str, str], ...]) -> tuple[tuple[_Shape, ...], frozenset[str]]:
    """The `_shape` of each question, by its (text, hint), and the words that can open one.

    `_follow` only starts on a line whose first word (after a question number) is one of
    the first two words of the question, so one set lookup rules out most lines. Cached by
    the texts (a few strings, quick to hash): every reply asks one of a few question sets.
    """
    shapes = tuple(_shape(text, hint) for text, hint in texts)
    return shapes, frozenset(word for words, _, _ in shapes for word in words[:2])


def _shape(text: str, hint: str) -> _Shape:
    """A question's words, the word counts at which its sentences end, its hint's words."""
    # How many words come before each sentence end (no word runs across one: it is
    # punctuation followed by a space or the end of the text).
    ends = tuple(len(_TOKEN.findall(text, 0, end.end())) for end in _SENTENCE_END.finditer(text))
    return _line_words(text), ends, _line_words(hint)


def _hint(
    lines: Sequence[_Line], last: int, hint: tuple[str, ...]
) -> tuple[int, int | None] | None:
    """The question's hint ("(e.g. KR1 60%, KR2 38/45)") after lines[last], when there."""
    following = last + 1
    if following < len(lines) and not lines[following].content.strip():
        following += 1  # some clients put a blank line between the question and its hint
    return _follow(lines, following, 0, hint, 3) if following < len(lines) else None


def _kr_anchor(
    lines: Sequence[_Line], index: int, label_end: int, kr: KeyResultRef
) -> _Anchor | None:
    """The quoted line of key result `kr` on lines[index], whose label ("KR1.") ends at
    `label_end`."""
    title_line, start_at = index, label_end
    if not lines[index].content[start_at:].strip() and index + 1 < len(lines):
        title_line, start_at = index + 1, 0  # an HTML table rendered one cell per line
    found = _follow(lines, title_line, start_at, _words_of(kr.title), _MIN_START_MATCHES)
    if found is None:
        return None
    last, rest = found
    if rest is not None and _is_progress_line(lines[last].content[rest:], kr):
        rest = None  # an HTML table row: "KR1  <title>  34 of 45 teams (27%)"
    elif rest is None and last + 1 < len(lines) and _is_progress_line(lines[last + 1].content, kr):
        last += 1
    same_line = ((last, rest),) if rest is not None else ()
    return _Anchor(index, last, None, kr.number, same_line)


@lru_cache(maxsize=256)
def _words_of(text: str) -> tuple[str, ...]:
    """`_tokens(text)` of a key result's title or progress line: a person's key results
    come back in every reply, so their words are worked out once."""
    return tuple(_tokens(text))


def _is_progress_line(text: str, kr: KeyResultRef) -> bool:
    """Whether `text` is the line a prompt printed under key result `kr`: as a prompt would
    print it now, or as it printed it before the key result last moved. A second reply to
    one prompt quotes the values the first reply has since replaced; typed by the person,
    they would take the key result back (Outlook quotes without marks, so only the words
    tell our line from theirs)."""
    if any(_is_ours(text, form) for form in _progress_forms(kr)):
        return True
    if "%" in text:  # "38 of 50 points (40%)", "4 days, target 2 days (60% of the way)"
        shown = NUMBER_RE.search(text)
        value = parse_number(shown[0]) if shown else None
        if value is None or value == kr.current:
            return False
        then = KeyResultRef(kr.number, kr.title, kr.start, kr.target, kr.unit, value)
        return any(_is_ours(text, form) for form in _progress_forms(then))
    if "no update yet" in text.lower() and kr.current is not None:  # before its first value
        then = KeyResultRef(kr.number, kr.title, kr.start, kr.target, kr.unit, None)
        return any(_is_ours(text, form) for form in _progress_forms(then))
    return False


def _progress_forms(kr: KeyResultRef) -> tuple[tuple[str, ...], ...]:
    """The words of the line a prompt printed under a key result: as prompts print it
    now, then as they did before (a reply may quote a prompt sent before an upgrade)."""
    return _forms_of(kr.start, kr.current, kr.target, kr.unit)


@lru_cache(maxsize=256)
def _forms_of(
    start: Decimal, current: Decimal | None, target: Decimal, unit: str
) -> tuple[tuple[str, ...], ...]:
    lines = (prompt_progress_line(start, current, target, unit),)
    return tuple(
        _words_of(line) for line in lines + earlier_progress_lines(start, current, target, unit)
    )


def _is_ours(text: str, expected: tuple[str, ...]) -> bool:
    words = _line_words(text)  # cached: the prompt's progress lines come back each week
    if not words:
        return False
    used, pos, matched = _align(words, expected, 0)
    whole = pos >= _COMPLETE_SHARE * len(expected) and len(words) - used <= 1
    return whole and matched >= _MATCH_SHARE * used


def _find_anchors(
    lines: Sequence[_Line], questions: Sequence[Question], key_results: Sequence[KeyResultRef]
) -> list[_Anchor]:
    """The quoted questions and key-result lines, top to bottom.

    On each line the questions are tried in order, then the key results; the first that
    matches wins and the search goes on after it.
    """
    question_shapes, openers = _shapes(tuple([(q.text, q.hint) for q in questions]))
    shapes = list(zip(questions, question_shapes, strict=True))
    anchors: list[_Anchor] = []
    opening = _opening  # bound once: this loop runs for every line of every reply
    index, count = 0, len(lines)
    while index < count:
        start_at, first, label = opening(lines[index].content)
        # Most lines open with neither a question's first words nor a key-result label.
        anchor = None
        if first in openers:
            anchor = _question_anchor_at(lines, index, start_at, first, shapes)
        if anchor is None and label:
            anchor = _kr_anchor_at(lines, index, label, key_results)
        if anchor:
            anchors.append(anchor)
            index = anchor.last + 1
        else:
            index += 1
    return anchors


def _question_anchor_at(
    lines: Sequence[_Line],
    index: int,
    start_at: int,
    first: str,
    shapes: Sequence[tuple[Question, _Shape]],
) -> _Anchor | None:
    """The first of the questions (in order) quoted from lines[index] on, if any."""
    for question, shape in shapes:
        if first in shape[0][:2]:  # else `_follow` would turn it down at once
            found = _question_anchor(lines, index, start_at, question, shape)
            if found:
                return found
    return None


def _kr_anchor_at(
    lines: Sequence[_Line],
    index: int,
    label: tuple[int, int],
    key_results: Sequence[KeyResultRef],
) -> _Anchor | None:
    """The key-result line labelled `label` (number, end) on lines[index], if any."""
    label_number, label_end = label
    for kr in key_results:
        if kr.number == label_number:
            found = _kr_anchor(lines, index, label_end, kr)
            if found:
                return found
    return None


@lru_cache(maxsize=8192)
def _opening(content: str) -> tuple[int, str | None, tuple[int, int] | None]:
    """How a line could start an anchor: where a question would start (after its number),
    the first word there, and the number and end of a key-result label ("KR2.") that
    starts the line, if any.

    Cached: most lines of a reply are the quoted prompt, and the template's lines (and a
    person's key results) come back in every reply.
    """
    if not content or content.isspace():
        return 0, None, None  # the many blank (and bare ">") lines start nothing
    # Each pattern can only match where the line's first non-blank character (`\s` is
    # what isspace() tests) is one it can start with; most lines start with neither.
    first = content.lstrip()[:1]
    numbered = first in _QUESTION_NUMBER_STARTS or first.isdecimal()  # `\d` is isdecimal()
    number = _QUESTION_NUMBER.match(content) if numbered else None
    start_at = number.end() if number else 0
    label = _KR_LINE.match(content) if first in _KR_LINE_STARTS else None
    return start_at, _first_word(content, start_at), (int(label[1]), label.end()) if label else None


def _first_word(content: str, start_at: int) -> str | None:
    """The first word of `content` starting at or after `start_at`, without tokenising
    the whole line. A search from `start_at` finds the same word because `start_at` is 0
    or just after the whitespace that ends a question number, never inside a word."""
    match = _TOKEN.search(content, start_at)
    return _normalised(match[0]) if match else None


def _is_marker(line: _Line) -> bool:
    return _is_marker_text(line.content)


@lru_cache(maxsize=8192)
def _is_marker_text(content: str) -> bool:
    """Whether a line's content is our reply marker ("##- Please type your reply above
    this line -##"), however the client re-quoted it.

    Cached: asked of every line of a reply, and the prompt's lines come back each time.
    """
    return _is_like(content, _MARKER_TOKENS, _MARKER_PROBES)


@lru_cache(maxsize=8192)
def _is_recap_marker(content: str) -> bool:
    """Whether a line's content is the marker heading a confirmation's recap."""
    return _is_like(content, _RECAP_TOKENS, _RECAP_PROBES)


def _is_recap_line(content: str) -> bool:
    """`_is_recap_marker`, after a cheap test that rules out nearly every line."""
    return _RECAP_WORD in content.lower() and _is_recap_marker(content)


def _is_like(content: str, tokens: tuple[str, ...], probes: tuple[str, ...]) -> bool:
    """Whether the line's words are `tokens`, in order, with at most one missing."""
    # At most one of the marker's words may be missing, so one of any two of them must be
    # there: a substring test on the line rules out nearly all lines before tokenising.
    flat = content.lower().replace("'", "").replace("’", "")
    first, second = probes
    if first not in flat and second not in flat:
        return False
    words = _line_words(content)
    return len(words) >= len(tokens) and _align(words, tokens, 0)[2] >= len(tokens) - 1


# -- what the person wrote ------------------------------------------------------------------


def _drop_template(lines: list[_Line]) -> list[_Line]:
    """Without our headings, reply marker and footer paragraph (quoted with no ">")."""
    kept: list[_Line] = []
    in_footer = False
    for line in lines:
        if _TEMPLATE_FOOTER.match(line.content):
            in_footer = True
            if kept and _SIGNATURE_DASHES.match(kept[-1].content):
                kept.pop()
        if in_footer:
            in_footer = bool(line.content.strip())
            continue
        if not _is_template_line(line.content):
            kept.append(line)
    return kept


@lru_cache(maxsize=8192)
def _is_template_line(content: str) -> bool:
    """A heading of our prompt or a marker (cached, as `_is_marker_text`)."""
    return (
        bool(_TEMPLATE_HEADING.match(content))
        or _is_marker_text(content)
        or _is_recap_line(content)
    )


def _kept_by_trim(lines: list[_Line]) -> list[_Line]:
    """The lines `trim_reply` keeps (signatures, attributions, history removed).

    trim returns kept lines unchanged and in order, so they are found again one by one.
    """
    wanted = trimmed_lines("\n".join([line.raw for line in lines]))
    kept, blanks, position = [], [], 0
    for line in lines:
        if position < len(wanted) and line.raw.rstrip() == wanted[position].rstrip():
            kept.extend(blanks)  # trim drops leading blank lines; they still separate text
            kept.append(line)
            blanks, position = [], position + 1
        elif not line.raw.strip():
            blanks.append(line)
        else:
            blanks = []
    return kept


def _own_lines(lines: list[_Line]) -> list[_Line]:
    """Unquoted text of a stretch between anchors, without template lines or signatures."""
    unquoted = [line for line in lines if line.depth == 0]
    # Tested before dropping the template's lines, which only removes lines: the stretch
    # under most quoted questions of a top-posted reply is quoted or blank throughout.
    if not any(line.content.strip() for line in unquoted):
        return []
    unquoted = _drop_template(unquoted)
    if not any(line.content.strip() for line in unquoted):
        return []
    return _kept_by_trim(unquoted)


def _top_text(lines: list[_Line], quoted_with_marks: bool) -> list[_Line]:
    """What the person wrote above the quoted prompt.

    With ">" quotes, trim's result minus quoted lines is the person's (text they slipped
    between quoted lines of the greeting included). Without them (Outlook), the prompt's
    greeting and instructions look like text, so only what comes before the first line
    trim removed (the "From:/Sent:" block, the "On … wrote:" line) is the person's.
    """
    if quoted_with_marks:
        own = [line for line in _kept_by_trim(lines) if line.depth == 0]
        return _drop_template(_before_our_copy(own))
    lines = _before_our_copy(lines)
    kept = _kept_by_trim(lines)
    kept_indices = {line.index for line in kept}
    history = next(
        (line.index for line in lines if line.index not in kept_indices and line.raw.strip()),
        None,
    )
    return [line for line in kept if history is None or line.index < history]


def _before_our_copy(lines: list[_Line]) -> list[_Line]:
    """The lines above a copy of our email that has no quote marks and no "From:/Sent:"
    block before it (pasted, or a client that copies the text bare).

    Every email we send opens "Hi <first name>," and has a marker (the prompt's reply
    marker, a confirmation's recap marker) below a few lines of greeting and instructions:
    the last such greeting shortly above the first unquoted marker starts our text, and
    the person's ends there. Without a greeting (edited away), our text starts no later
    than the marker.
    """
    marker = next(
        (
            n
            for n, line in enumerate(lines)
            if line.depth == 0 and (_is_marker(line) or _is_recap_line(line.content))
        ),
        None,
    )
    if marker is None:
        return lines
    greeting = next(
        (
            n
            for n in range(marker - 1, max(marker - _GREETING_REACH, 0) - 1, -1)
            if lines[n].depth == 0 and _OUR_GREETING.match(lines[n].content)
        ),
        None,
    )
    return lines[: marker if greeting is None else greeting]


# "Hi Dana," as templates/email/*.txt open; the person's name, whatever it is, before the comma.
_OUR_GREETING = re.compile(r"^Hi [^\s,][^,]{0,60},\s*$")
# Lines from our greeting to the marker: a prompt's has 11, wrapping may add a few.
_GREETING_REACH = 24


# -- structure of top-posted text -----------------------------------------------------------

_NUMBERED = re.compile(
    r"^\s*(?:(?P<q>Q)\s*(?P<qn>\d{1,2})\s*[.):-]?|#\s*(?P<hn>\d{1,2})\s*[.):-]?"
    r"|(?P<n>\d{1,2})\s*(?P<punct>[.):]|\s[-–]))(?=\s|$)\s*",
    re.I,
)
# "Progress: …", "* **Blockers** - …", or a label alone on its line ("Next steps").
_LABEL = re.compile(
    r"^\s*(?:[-•]\s+|\*\s+)?[*_]*"  # a bullet, markdown bold
    r"(?P<label>[^\W\d_][^\W_]*(?:(?: +| ?[/&] ?|-)[^\W\d_][^\W_]*){0,3})[*_]*"
    # Possessive (*+): a run of blanks after the label is read once, never split between
    # two repeats (which took seconds for a line of 20,000 tabs).
    r"\s*+(?:[:：]|(?<=\s)[-–—]\s|$)"
)
_MAX_SIGN_OFF_LINES = 3


@dataclass
class _Draft:
    """An answer being assembled: the question, the pieces, how we found them.

    kr_parts: progress written under a quoted key-result line, by key-result number; part
    of the progress answer's text, but read as being about that key result.
    """

    question: Question
    pieces: list[_Piece]
    how: str
    kr_parts: list[tuple[int, list[_Piece]]] = field(default_factory=list)

    def passage(self) -> _Passage:
        return _Passage.of([*self.pieces, *(p for _, part in self.kr_parts for p in part)])


def _numbered_starts(pieces: list[_Piece], count: int) -> list[tuple[int, int, int]]:
    """(piece index, question number, where the answer starts) of each numbered answer.

    Only markers in the style of the first one ("1." vs "1)"), with rising numbers,
    count: a progress answer may list key results as "1) 38/45" inside answer "1.".
    """
    found = []
    for index, piece in enumerate(pieces):
        match = _NUMBERED.match(piece.text)
        if match:
            number = int(match["qn"] or match["hn"] or match["n"])
            style = "Q" if match["q"] else "#" if match["hn"] else match["punct"].strip()
            found.append((index, number, match.end(), style))
    if not found:
        return []
    style = found[0][3]
    starts, previous, sublist = [], 0, False
    for index, number, end, marker_style in found:
        if marker_style == style and previous < number <= count:
            starts.append((index, number, end))
            previous, sublist = number, False
        elif marker_style != style:
            # After two answers in one style, the next number in another is a slip
            # ("1." … "3." then "4) high on 1 and 3"); not in a list of its own under the
            # answer, which counts from 1 ("1)", "2)" under "1.").
            sublist = sublist or number == 1
            if not sublist and previous >= 2 and number == previous + 1 <= count:
                starts.append((index, number, end))
                previous = number
    return starts


def _label_question(text: str, questions: Sequence[Question]) -> tuple[Question, int] | None:
    """The question a labelled line answers, and where its answer starts.

    A label alone on its line must start with a keyword and be short ("Blockers", "Next
    steps"), or an answer such as "No change" would start a new one. A label naming a key
    result ("Progress on KR1: …") stays in the answer, which needs it.
    """
    match = _LABEL.match(text)
    if not match:
        return None
    words = _tokens(match["label"])
    alone = not text[match.end() :].strip() and not text.rstrip().endswith((":", "："))
    for question in questions:
        names = _label_names(question.keywords, question.key)
        if alone and (len(words) > 2 or words[0] not in names):
            continue
        if names.intersection(words):
            keep_label = any(char.isdigit() for char in match["label"])
            return question, 0 if keep_label else match.end()
    return None


@lru_cache(maxsize=256)
def _label_names(keywords: tuple[str, ...], key: str) -> frozenset[str]:
    """The lowercased words a label can name a question by: its keywords and the parts of
    its key. Cached: every labelled line is tested against every question of the set."""
    return frozenset(name.lower() for name in (*keywords, *key.split("_")))


def _structured(
    pieces: list[_Piece], questions: Sequence[Question], key_results: Sequence[KeyResultRef]
) -> tuple[list[_Draft], list[_Piece]]:
    """Answers found in top-posted text, and the text that answered nothing."""
    pieces = _strip_blank_ends(pieces)
    numbered = _numbered_starts(pieces, len(questions))
    if numbered:
        by_kr = _numbered_by_key_result(pieces, numbered, questions, key_results)
        if by_kr is not None:
            return by_kr
    starts: list[tuple[int, Question, int]] = [
        (index, questions[number - 1], end) for index, number, end in numbered
    ]
    how = "numbered"
    if not starts:
        how = "labelled"
        for index, piece in enumerate(pieces):
            labelled = _label_question(piece.text, questions)
            if labelled:
                starts.append((index, *labelled))
    if not starts:
        if len(questions) == 1 and pieces:
            own, sign_off = _without_sign_off(pieces)
            return [_Draft(questions[0], own, "single-question")], sign_off
        return [], pieces
    notes = pieces[: starts[0][0]]
    drafts: list[_Draft] = []
    bounds = [index for index, _, _ in starts[1:]] + [len(pieces)]
    for (index, question, end), stop in zip(starts, bounds, strict=True):
        first = pieces[index]
        own = [_Piece(first.start + end, first.text[end:]), *pieces[index + 1 : stop]]
        drafts.append(_Draft(question, own, how))
    drafts[-1].pieces, sign_off = _without_sign_off(drafts[-1].pieces)
    if how == "numbered":
        notes += _fields_after(drafts, questions)
    return drafts, notes + sign_off


def _fields_after(drafts: list[_Draft], questions: Sequence[Question]) -> list[_Piece]:
    """Take out of each numbered answer a labelled field of another question that follows
    it after a blank line ("5. Nichts, danke.\n\nZuversicht: hoch"): the answer to that
    question when none is numbered, and the field of a question not asked (confidence,
    here) is a note (still read for what it says). Returns the notes."""
    numbered = {draft.question.key for draft in drafts}
    notes: list[_Piece] = []
    for draft in list(drafts):
        pieces = draft.pieces
        for index in range(1, len(pieces)):
            if pieces[index - 1].text.strip() or not pieces[index].text.strip():
                continue  # only a line after a blank one (few lines are)
            field = _field_of(pieces[index].text, questions)
            if field is None or field is draft.question:
                continue
            if field is _NOT_ASKED:
                notes.extend(pieces[index - 1 :])
            elif field.key not in numbered:
                numbered.add(field.key)
                labelled = _label_question(pieces[index].text, questions)
                end = labelled[1] if labelled else 0
                own = [_Piece(pieces[index].start + end, pieces[index].text[end:])]
                drafts.append(_Draft(field, own + pieces[index + 1 :], "labelled"))
            else:
                continue  # that question has its own answer: this is part of this one
            draft.pieces = _strip_blank_ends(pieces[:index])
            break
    return notes


# A question not asked: `_field_of` for a labelled field of confidence where none is asked.
_NOT_ASKED = Question(key="", text="", kind="confidence", keywords=())
# "Confidence: 8", "Zuversicht: hoch": a field people add though no question asked for it.
_CONFIDENCE_LABEL = re.compile(
    r"\s*(?:[-*•]\s*)?[*_]*(?:confidence|confiance|confianza|fiducia|confiança|zuversicht"
    r"|vertrouwen)[*_]*\s*[:：]",
    re.I,
)


def _field_of(text: str, questions: Sequence[Question]) -> Question | None:
    """The question a labelled line is the field of (`_NOT_ASKED`: confidence, not asked)."""
    labelled = _label_question(text, questions)
    if labelled is not None:
        return labelled[0]
    if _CONFIDENCE_LABEL.match(text) and all(q.kind != "confidence" for q in questions):
        return _NOT_ASKED
    return None


# The next list number inside a line: "1) 99.93% 2) 45 minutes 3) 9".
_NUMBER_IN_LINE = re.compile(r"(?<=\s)(\d{1,2})[.)]\s+")


def _numbered_by_key_result(
    pieces: list[_Piece],
    numbered: list[tuple[int, int, int]],
    questions: Sequence[Question],
    key_results: Sequence[KeyResultRef],
) -> tuple[list[_Draft], list[_Piece]] | None:
    """Answers numbered by key result instead of by question ("1) 99.93%\n2) 45
    minutes\n3) 9", or all on one line), read as the progress answer; None unless that
    is clear: one number per key result, from 1, and not as many as the questions; each
    answer a value alone that fits its key result, at least one in its unit."""
    count = len(key_results)
    if count < 2 or questions[0].kind != "kr_progress" or numbered[0][1] != 1:
        return None
    if count in (len(questions), sum(not question.optional for question in questions)):
        return None  # one answer per question, or one per key result?
    first = numbered[0][0]
    if len(numbered) == 1:  # all on one line, or none of this
        stop = first + 1
        said = pieces[first].text[numbered[0][2] :]
        if _NUMBER_IN_LINE.search(said) is None:
            return None  # nearly every answer on its own
        parts = _NUMBER_IN_LINE.split(said)
        values = parts[::2]
        numbers = [int(number) for number in parts[1::2]]
    elif len(numbered) != count or numbered[-1][1] != count:
        return None  # as in most replies: not one number per key result
    else:
        stops = [index for index, _, _ in numbered[1:]] + [len(pieces)]
        answers = [
            [_Piece(pieces[index].start + end, pieces[index].text[end:]), *pieces[index + 1 : stop]]
            for (index, _, end), stop in zip(numbered, stops, strict=True)
        ]
        answers[-1], _ = _without_sign_off(answers[-1])
        if any(len(_strip_blank_ends(answer)) != 1 for answer in answers):
            return None  # more than a value's line
        stop = numbered[-1][0] + 1
        values = [_strip_blank_ends(answer)[0].text for answer in answers]
        numbers = [number for _, number, _ in numbered[1:]]
    if numbers != list(range(2, count + 1)):
        return None
    fits = [lone_value_fits(value, kr) for value, kr in zip(values, key_results, strict=True)]
    if None in fits or True not in fits:
        return None
    progress = _Draft(questions[0], pieces[first:stop], "numbered")
    return [progress], pieces[:first] + _strip_blank_ends(pieces[stop:])


def _without_sign_off(pieces: list[_Piece]) -> tuple[list[_Piece], list[_Piece]]:
    """Split "Thanks,\\nDana" (or a name alone after a blank line) off the end of the last
    answer; it goes to notes, and so does a postscript after it ("PS: KR2 is blocked on
    the HRIS", which is no part of that answer)."""
    pieces = _strip_blank_ends(pieces)
    postscript = next(
        (n for n in range(len(pieces) - 1, 0, -1) if _POSTSCRIPT.match(pieces[n].text)), None
    )
    if postscript is not None:
        answer, sign_off = _without_closing(pieces[:postscript])
        if sign_off:
            return answer, sign_off + pieces[postscript:]
        if not pieces[postscript - 1].text.strip():
            return answer, pieces[postscript:]  # a paragraph of its own, without a sign-off
    return _without_closing(pieces)


_POSTSCRIPT = re.compile(r"\s*P\.?\s?S\.?(?=[\s:,-])", re.I)


def _without_closing(pieces: list[_Piece]) -> tuple[list[_Piece], list[_Piece]]:
    pieces = _strip_blank_ends(pieces)
    for back in range(1, min(_MAX_SIGN_OFF_LINES, len(pieces) - 1) + 1):
        index = len(pieces) - back
        alone = not pieces[index - 1].text.strip()
        if SIGN_OFF.match(pieces[index].text) or (
            back == 1 and alone and is_name(pieces[index].text)
        ):
            return _strip_blank_ends(pieces[:index]), pieces[index:]
    return pieces, []


# -- putting it together --------------------------------------------------------------------

# A reply is a few hundred words; a pasted log must not tie up a worker for minutes.
_MAX_CHARS = 100_000


def parse_reply(
    body_text: str, questions: Sequence[Question], key_results: Sequence[KeyResultRef]
) -> ParsedReply:
    """Answers to `questions` and the facts in them, read from a reply's plain text.

    `body_text` is the full body (quotes included, as `extract_body` gives it). Never
    raises on odd input; what cannot be tied to a question is returned in `notes`.
    """
    analysed = body_text[:_MAX_CHARS]
    lines = _split_lines(analysed)
    anchors = _find_anchors(lines, questions, key_results)
    if _RECAP_WORD in analysed.lower():  # else no line can be a confirmation's recap marker
        anchors = _outside_recap(lines, anchors)
    found = _inline(lines, anchors, questions, key_results)
    if found is None:
        marks = lines[anchors[0].first].depth > 0 if anchors else True
        top = _pieces(_top_text(_before_first(lines, anchors), marks))
        found = _structured(top, questions, key_results)
    drafts, notes = found
    parsed = _read_facts(analysed, questions, key_results, drafts, notes)
    if len(body_text) > _MAX_CHARS:
        parsed.unclear.append(
            f"the reply is very long: only its first {_MAX_CHARS} characters were read"
        )
    return parsed


def _outside_recap(lines: list[_Line], anchors: list[_Anchor]) -> list[_Anchor]:
    """The anchors, less those in the unquoted recap of a confirmation being replied to.

    A confirmation repeats the questions with the answers recorded so far under them.
    Quoted (">"), those answers are plainly not the person's and text typed between the
    quoted lines is; a client that quotes without marks (Outlook) makes them look typed,
    and they would be read again as answers, over the correction written above them.
    """
    if not anchors:
        return anchors
    searched = lines[: anchors[-1].first]  # a recap after the last anchor changes nothing
    recap = next(
        (line.index for line in searched if line.depth == 0 and _is_recap_marker(line.content)),
        None,
    )
    if recap is None:
        return anchors
    return [a for a in anchors if a.first < recap or lines[a.first].depth > 0]


def _before_first(lines: list[_Line], anchors: list[_Anchor]) -> list[_Line]:
    return lines[: anchors[0].first] if anchors else lines


def _inline(
    lines: list[_Line],
    anchors: list[_Anchor],
    questions: Sequence[Question],
    key_results: Sequence[KeyResultRef],
) -> tuple[list[_Draft], list[_Piece]] | None:
    """Answers written under the quoted questions (None when there are none), plus what
    the person wrote above the quote, read as top-posted text."""
    if not anchors:
        return None
    # Below the quoted prompt's footer, the person's text answers no quoted question: it
    # is written after the whole quote (bottom-posted), read as if written above it.
    footer = next(
        (n for n in range(anchors[-1].last + 1, len(lines)) if _is_footer(lines[n])), None
    )
    stops = [anchor.first for anchor in anchors[1:]] + [len(lines) if footer is None else footer]
    segments = [
        (anchor, _segment(lines, anchor, stop)) for anchor, stop in zip(anchors, stops, strict=True)
    ]
    segments = [(anchor, own) for anchor, own in segments if own]
    bottom = _own_lines(lines[footer:]) if footer is not None else []
    if not segments and not bottom:
        return None
    sign_offs: list[_Piece] = []
    for number, (anchor, own) in enumerate(segments):
        own, sign_off = _without_sign_off(own)
        segments[number] = (anchor, own)
        sign_offs.extend(sign_off)
    progress = next((q for q in questions if q.kind == "kr_progress"), None)
    by_key: dict[str, _Draft] = {}
    notes: list[_Piece] = []
    for anchor, own in segments:
        question = anchor.question or progress
        if question is None:
            notes.extend(own)  # under a key result, but no progress question was asked
            continue
        draft = by_key.setdefault(question.key, _Draft(question, [], "inline"))
        if anchor.kr_number is None:
            draft.pieces.extend(own)
        else:
            draft.kr_parts.append((anchor.kr_number, own))
    top = _top_text(_before_first(lines, anchors), lines[anchors[0].first].depth > 0)
    free: list[_Piece] = []
    for outside in (top, bottom):
        outside_drafts, outside_notes = _structured(_pieces(outside), questions, key_results)
        for draft in outside_drafts:
            by_key.setdefault(draft.question.key, _Draft(draft.question, [], draft.how))
            by_key[draft.question.key].pieces.extend(draft.pieces)
        free.extend(outside_notes)
    return list(by_key.values()), free + notes + sign_offs


def _is_footer(line: _Line) -> bool:
    return bool(_TEMPLATE_FOOTER.match(line.content))


def _segment(lines: list[_Line], anchor: _Anchor, stop: int) -> list[_Piece]:
    """What the person wrote after one anchor, up to the next one."""
    typed_alongside = [
        _Piece(lines[index].content_start + offset, lines[index].content[offset:])
        for index, offset in anchor.same_line
    ]
    below = lines[anchor.last + 1 : stop]
    if anchor.question is not None and anchor.question.hint and below:
        below = _without_hint(lines, anchor.last + 1, stop, anchor.question.hint)
    return _strip_blank_ends(typed_alongside + _pieces(_own_lines(below)))


def _without_hint(lines: list[_Line], start: int, stop: int, hint: str) -> list[_Line]:
    """lines[start:stop] without the question's hint ("(e.g. KR1 60%, KR2 38/45)") when
    the person typed their answer between the question and it: clicking at the end of the
    question and pressing Enter, in Outlook, puts the answer there. The anchor only takes
    the hint straight after the question, so here it would be read as their answer."""
    expected = _words_of(hint)
    for index in range(start, min(stop, start + _HINT_REACH)):
        found = _follow(lines, index, 0, expected, min(3, len(expected)))
        if found is not None:
            last, rest = found
            if rest is not None:
                break  # more typed after it on its line: kept whole, as before
            return lines[start:index] + lines[last + 1 : stop]
    return lines[start:stop]


_HINT_REACH = 6  # lines typed between a question and its hint that are looked past


@dataclass
class _Facts:
    progress: dict[int, ProgressReading] = field(default_factory=dict)
    confidence: dict[int | None, ConfidenceReading] = field(default_factory=dict)
    blockers: list[Note] = field(default_factory=list)
    help_requests: list[Note] = field(default_factory=list)
    wins: list[Note] = field(default_factory=list)
    unclear: list[str] = field(default_factory=list)


def _read_facts(
    body: str,
    questions: Sequence[Question],
    key_results: Sequence[KeyResultRef],
    drafts: list[_Draft],
    note_pieces: list[_Piece],
) -> ParsedReply:
    order = {question.key: number for number, question in enumerate(questions)}
    drafts = sorted(drafts, key=lambda draft: order.get(draft.question.key, len(order)))
    read = [(draft, draft.passage()) for draft in drafts]  # each passage is read 2-3 times
    answers: dict[str, Answer] = {}
    facts = _Facts()
    for draft, passage in read:
        if passage.text.strip():
            span = passage.span(0, len(passage.text), body)
            answers[draft.question.key] = Answer(draft.question.key, passage.text, span, draft.how)
            _read_answer(body, draft, passage, key_results, facts)
    # A confidence answer speaks before confidence mentioned in passing elsewhere.
    for draft, passage in sorted(read, key=lambda pair: pair[0].question.kind != "confidence"):
        answer = draft.question.kind == "confidence"
        if not draft.kr_parts:
            _add_confidence(body, passage, key_results, facts, answer=answer)
            continue
        # "31, confidence 8" under a quoted key result's line is said of that one.
        for number, part in draft.kr_parts:
            under_kr = _Passage.of(part)
            _add_confidence(body, under_kr, key_results, facts, answer=answer, kr_number=number)
        own = _Passage.of(draft.pieces)
        if own.text.strip():
            _add_confidence(body, own, key_results, facts, answer=answer)
    notes = _Passage.of(note_pieces)
    _read_free_text(body, notes, key_results, facts)
    return ParsedReply(
        answers=answers,
        notes=notes.text,
        notes_span=notes.span(0, len(notes.text), body) if notes.text else None,
        progress=sorted(facts.progress.values(), key=lambda reading: reading.kr_number),
        confidence=_ordered_confidence(facts.confidence),
        blockers=facts.blockers,
        help_requests=facts.help_requests,
        wins=facts.wins,
        missing=_missing(questions, key_results, facts),
        unclear=facts.unclear,
    )


def _read_answer(
    body: str,
    draft: _Draft,
    passage: _Passage,
    key_results: Sequence[KeyResultRef],
    facts: _Facts,
) -> None:
    """Progress and notes in one answer (confidence is read afterwards, for all answers).

    `passage` is `draft.passage()`, worked out once by the caller.
    """
    kind = draft.question.kind
    if kind == "kr_progress":
        for number, part in draft.kr_parts:
            under_kr = _Passage.of(part)
            scan = read_progress(under_kr.text, key_results, listed=True, kr_number=number)
            _add_progress(body, under_kr, scan.readings, facts)
            facts.unclear.extend(scan.unclear)
        own = _Passage.of(draft.pieces) if draft.kr_parts else passage
        if own.text.strip():
            scan = read_progress(own.text, key_results, listed=True)
            _add_progress(body, own, scan.readings, facts)
            facts.unclear.extend(scan.unclear)
    else:
        corrections = progress_corrections(
            passage.text, key_results, facts.progress.keys(), scores=kind == "confidence"
        )
        _add_progress(body, passage, corrections, facts)
    note_kind = NOTE_KIND.get(kind)
    if note_kind:
        notes = whole_note(note_kind, passage.text)
        _notes_list(facts, note_kind).extend(_shift_note(body, passage, note) for note in notes)
    for sentence_kind in _SENTENCE_KINDS_IN.get(note_kind, _SENTENCE_KINDS):
        _add_sentences(body, passage, sentence_kind, _notes_list(facts, sentence_kind))


# What sentences are looked for in an answer, by the note the whole answer is: not its own
# kind, and no win in an answer about blockers or help ("Blocked since we launched the
# new plans" tells of no win).
_SENTENCE_KINDS = ("blocker", "help", "win")
_SENTENCE_KINDS_IN = {"blocker": ("help",), "help": ("blocker",), "win": ("blocker", "help")}


def _notes_list(facts: _Facts, kind: str) -> list[Note]:
    return {"blocker": facts.blockers, "help": facts.help_requests, "win": facts.wins}[kind]


def _read_free_text(
    body: str, notes: _Passage, key_results: Sequence[KeyResultRef], facts: _Facts
) -> None:
    if not notes.text.strip():
        return
    scan = read_progress(notes.text, key_results, listed=False)
    _add_progress(body, notes, scan.readings, facts)
    _add_confidence(body, notes, key_results, facts, answer=False)
    for kind in _SENTENCE_KINDS:
        _add_sentences(body, notes, kind, _notes_list(facts, kind))


def _add_progress(
    body: str, passage: _Passage, readings: list[ProgressReading], facts: _Facts
) -> None:
    for reading in readings:
        if reading.kr_number not in facts.progress or reading.corrects:
            span = passage.span(reading.span.start, reading.span.end, body)
            # Built directly: dataclasses.replace is several times slower.
            facts.progress[reading.kr_number] = ProgressReading(
                reading.kr_number, reading.value, reading.percent, reading.status, span
            )


def _add_confidence(
    body: str,
    passage: _Passage,
    key_results: Sequence[KeyResultRef],
    facts: _Facts,
    *,
    answer: bool,
    kr_number: int | None = None,
) -> None:
    """`kr_number`: the passage is about that key result, so a score said of none in
    particular is its score."""
    if not answer and not says_confidence(passage.text) and not says_status(passage.text):
        return  # the usual case away from the confidence answer: no scan to build
    scan = read_confidence(passage.text, key_results, answer=answer)
    if kr_number is not None and _FOR_ALL.search(passage.text):
        kr_number = None  # "Overall confidence 7 for all three", under the last one
    for reading in scan.readings:
        number = reading.kr_number if reading.kr_number is not None else kr_number
        if number not in facts.confidence:
            span = passage.span(reading.span.start, reading.span.end, body)
            facts.confidence[number] = ConfidenceReading(number, reading.score, span)
    facts.unclear.extend(scan.unclear)


# Not "all good": "41, confidence 6, all good" under KR2 is KR2's.
_FOR_ALL = re.compile(
    r"\b(?:overall|for (?:all|both|each|every)|all (?:of them|three|four|five|krs|key results)"
    r"|across the board|insgesamt|gesamt|global)\b",
    re.I,
)


def _add_sentences(body: str, passage: _Passage, kind: str, target: list[Note]) -> None:
    found = sentences_with(kind, passage.text)
    if not found:
        return  # the usual case: skip building `seen`
    seen = {note.span.start for note in target}
    for note in found:
        shifted = _shift_note(body, passage, note)
        if shifted.span.start not in seen:
            target.append(shifted)


def _shift_note(body: str, passage: _Passage, note: Note) -> Note:
    return Note(note.kind, note.text, passage.span(note.span.start, note.span.end, body))


def _ordered_confidence(found: dict[int | None, ConfidenceReading]) -> list[ConfidenceReading]:
    return sorted(
        found.values(), key=lambda reading: (reading.kr_number is None, reading.kr_number or 0)
    )


def _missing(
    questions: Sequence[Question], key_results: Sequence[KeyResultRef], facts: _Facts
) -> list[str]:
    """One sentence per key result we asked about and did not hear about."""
    kinds = {question.kind for question in questions}
    missing = []
    if "kr_progress" in kinds:
        missing.extend(
            f"no progress given for KR{kr.number} ({kr.title}): reply with a percentage "
            f"(60%), a value against the target of {format_value(kr.target)}, "
            f'"done" or "no change"'
            for kr in key_results
            if kr.number not in facts.progress
        )
    if "confidence" in kinds and None not in facts.confidence:
        missing.extend(
            f"no confidence given for KR{kr.number}: reply with a number from 1 to 10 "
            f"(or high/medium/low)"
            for kr in key_results
            if kr.number not in facts.confidence
        )
    return missing
