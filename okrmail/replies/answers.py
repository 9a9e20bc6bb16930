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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from okrmail.prompting import REPLY_MARKER, format_value
from okrmail.questions import Question
from okrmail.replies.fields import (
    ConfidenceReading,
    KeyResultRef,
    Note,
    ProgressReading,
    Span,
    read_confidence,
    read_progress,
    sentences_with,
    whole_note,
)
from okrmail.replies.trim import split_reply

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


# -- lines and passages ---------------------------------------------------------------------

_QUOTE_PREFIX = re.compile(r"^(?:[ \t]*>)+[ \t]?")
_TOKEN = re.compile(r"[\w'’]+")


@dataclass(frozen=True)
class _Line:
    index: int
    raw: str  # the line as written, without its line ending
    depth: int  # how many ">" quote levels
    content: str  # the line without its quote marks
    content_start: int  # offset of `content` in the body


def _split_lines(body: str) -> list[_Line]:
    lines, offset = [], 0
    for index, raw in enumerate(body.splitlines(keepends=True)):
        text = raw.rstrip("\r\n")
        prefix = _QUOTE_PREFIX.match(text)
        cut = prefix.end() if prefix else 0
        depth = prefix[0].count(">") if prefix else 0
        lines.append(_Line(index, text, depth, text[cut:], offset + cut))
        offset += len(raw)
    return lines


@dataclass(frozen=True)
class _Piece:
    """Some text the person wrote and where it starts in the body."""

    start: int
    text: str


@dataclass(frozen=True)
class _Passage:
    """Pieces joined with newlines, remembering where each character came from."""

    text: str
    origin: tuple[int, ...]  # body offset of every character of text

    @classmethod
    def of(cls, pieces: Sequence[_Piece]) -> _Passage:
        pieces = _strip_blank_ends([_Piece(p.start, p.text.rstrip()) for p in pieces])
        text, origin = "", []
        for number, piece in enumerate(pieces):
            if number:
                text += "\n"
                origin.append(origin[-1] + 1 if origin else piece.start)
            text += piece.text
            origin.extend(range(piece.start, piece.start + len(piece.text)))
        return cls(text, tuple(origin))

    def span(self, start: int, end: int, body: str) -> Span:
        """The body span of text[start:end]."""
        if not self.origin:
            return Span(0, 0, "")
        begin = self.origin[min(start, len(self.origin) - 1)]
        stop = self.origin[max(min(end, len(self.origin)) - 1, 0)] + 1
        return Span(begin, stop, body[begin:stop])


def _strip_blank_ends(pieces: list[_Piece]) -> list[_Piece]:
    while pieces and not pieces[0].text.strip():
        pieces = pieces[1:]
    while pieces and not pieces[-1].text.strip():
        pieces = pieces[:-1]
    return pieces


def _pieces(lines: Iterable[_Line]) -> list[_Piece]:
    return [_Piece(line.content_start, line.content) for line in lines]


def _tokens(text: str) -> list[str]:
    return [token.replace("'", "").replace("’", "").lower() for token in _TOKEN.findall(text)]


# -- the quoted prompt ----------------------------------------------------------------------

# "1. ", "Q1: ", "#1 " before a quoted (or copied) question.
_QUESTION_NUMBER = re.compile(r"^\s*(?:[-*•]\s*)?(?:Q\s*)?#?\d{1,2}\s*[.):-]?\s+", re.I)
_KR_LINE = re.compile(r"^\s*(?:[-*•]\s*)?KR\s*(\d{1,2})\b[.:]?", re.I)
# Lines of templates/email/prompt.txt and prompt.html that are neither questions nor key
# results: the section headings and the footer paragraph.
_TEMPLATE_HEADING = re.compile(r"^\s*(?:questions|your key results\b.*)\s*:?\s*$", re.I)
_TEMPLATE_FOOTER = re.compile(r"^\s*Sent by okrmail\b", re.I)
_SIGNATURE_DASHES = re.compile(r"^\s*--\s*$")
_MARKER_TOKENS = _tokens(REPLY_MARKER)
_MIN_START_MATCHES = 4  # a quoted question is recognised from its first few words
_MATCH_SHARE = 0.75  # at least this share of a line's words must follow the question
_COMPLETE_SHARE = 0.85  # a quoted question must be (nearly) whole


@dataclass(frozen=True)
class _Anchor:
    """A quoted question (or key-result line) of our prompt inside the reply."""

    first: int  # index of its first line
    last: int  # index of its last line
    answer_from: int | None  # where an answer starts on its last line, if it shares it
    question: Question | None
    kr_number: int | None = None


def _align(tokens: Sequence[str], expected: Sequence[str], pos: int) -> tuple[int, int, int]:
    """Follow `tokens` along `expected` from `pos`: (tokens used, new pos, exact matches).

    Clients re-wrap quoted lines and mangle the odd word ("don’t", "1-on-1"), so one word
    may be changed, added or dropped at a time; two misses in a row end the run.
    """
    i, j, misses = 0, pos, 0
    used, reached, matched = 0, pos, 0
    while i < len(tokens) and j < len(expected) and misses < 2:
        if tokens[i] == expected[j]:
            i, j, misses = i + 1, j + 1, 0
            used, reached, matched = i, j, matched + 1
        elif j + 1 < len(expected) and tokens[i] == expected[j + 1]:
            j, misses = j + 1, misses + 1  # a word of ours is missing here
        elif i + 1 < len(tokens) and tokens[i + 1] == expected[j]:
            i, misses = i + 1, misses + 1  # a word was added here
        else:
            i, j, misses = i + 1, j + 1, misses + 1
    return used, reached, matched


def _line_tokens(text: str) -> list[tuple[str, int]]:
    """(token, offset) of each word of a line."""
    return [
        (match[0].replace("'", "").replace("’", "").lower(), match.start())
        for match in _TOKEN.finditer(text)
    ]


def _follow(
    lines: Sequence[_Line], index: int, start_at: int, expected: Sequence[str], first_words: int
) -> tuple[int, int | None] | None:
    """Match a (possibly re-wrapped) run of our text starting on lines[index].

    Returns (last line index, offset on that line where the person's own text starts, if
    any), or None when the text is not there. `first_words`: how many words must match
    on the first line before we believe it.
    """
    words = _line_tokens(lines[index].content[start_at:])
    if not words or words[0][0] not in expected[:2]:
        return None
    used, pos, matched = _align([w for w, _ in words], expected, 0)
    if matched < min(first_words, len(expected)) or matched < _MATCH_SHARE * used:
        return None
    last = index
    while used == len(words) and pos < len(expected) and last + 1 < len(lines):
        words = _line_tokens(lines[last + 1].content)
        if not words:
            break
        used, reached, matched = _align([w for w, _ in words], expected, pos)
        if matched == 0 or matched < _MATCH_SHARE * used:
            break
        last, pos = last + 1, reached
    if pos < _COMPLETE_SHARE * len(expected):
        return None
    rest = words[used][1] + (start_at if last == index else 0) if used < len(words) else None
    return last, rest


def _question_anchor(lines: Sequence[_Line], index: int, question: Question) -> _Anchor | None:
    number = _QUESTION_NUMBER.match(lines[index].content)
    start_at = number.end() if number else 0
    found = _follow(lines, index, start_at, _tokens(question.text), _MIN_START_MATCHES)
    if found is None:
        return None
    last, rest = found
    if rest is None and question.hint:
        last, rest = _skip_hint(lines, last, _tokens(question.hint))
    return _Anchor(index, last, rest, question)


def _skip_hint(lines: Sequence[_Line], last: int, hint: Sequence[str]) -> tuple[int, int | None]:
    """The question's hint ("(e.g. KR1 60%, KR2 38/45)") is part of the quote, when there."""
    following = last + 1
    if following < len(lines) and not lines[following].content.strip():
        following += 1  # some clients put a blank line between the question and its hint
    if following >= len(lines):
        return last, None
    found = _follow(lines, following, 0, hint, 3)
    return found if found else (last, None)


def _kr_anchor(lines: Sequence[_Line], index: int, kr: KeyResultRef) -> _Anchor | None:
    label = _KR_LINE.match(lines[index].content)
    if not label or int(label[1]) != kr.number:
        return None
    found = _follow(lines, index, label.end(), _tokens(kr.title), _MIN_START_MATCHES)
    if found is None:
        return None
    last, rest = found
    progress = _tokens(_progress_text(kr))
    if rest is not None and _is_ours(lines[last].content[rest:], progress):
        rest = None  # an HTML table row: "KR1  <title>  34 of 45 teams (27%)"
    elif rest is None and last + 1 < len(lines) and _is_ours(lines[last + 1].content, progress):
        last += 1
    return _Anchor(index, last, rest, None, kr.number)


def _progress_text(kr: KeyResultRef) -> str:
    """What the prompt printed under a key result (see prompting.key_result_lines)."""
    unit = f" {kr.unit}" if kr.unit else ""
    target = f"{format_value(kr.target)}{unit}"
    if kr.current is None:
        return f"no update yet (start {format_value(kr.start)}, target {target})"
    return f"{format_value(kr.current)} of {target}"  # the percentage follows; not needed


def _is_ours(text: str, expected: Sequence[str]) -> bool:
    words = _tokens(text)
    if not words:
        return False
    used, pos, matched = _align(words, expected, 0)
    return pos >= _COMPLETE_SHARE * len(expected) and len(words) - used <= 1


def _find_anchors(
    lines: Sequence[_Line], questions: Sequence[Question], key_results: Sequence[KeyResultRef]
) -> list[_Anchor]:
    anchors: list[_Anchor] = []
    index = 0
    while index < len(lines):
        anchor = next(
            (
                found
                for found in (
                    *(_question_anchor(lines, index, question) for question in questions),
                    *(_kr_anchor(lines, index, kr) for kr in key_results),
                )
                if found
            ),
            None,
        )
        if anchor:
            anchors.append(anchor)
            index = anchor.last + 1
        else:
            index += 1
    return anchors


def _is_marker(line: _Line) -> bool:
    words = _tokens(line.content)
    return len(words) >= len(_MARKER_TOKENS) and _align(words, _MARKER_TOKENS, 0)[2] >= (
        len(_MARKER_TOKENS) - 1
    )


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
        if not (_TEMPLATE_HEADING.match(line.content) or _is_marker(line)):
            kept.append(line)
    return kept


def _kept_by_trim(lines: list[_Line]) -> list[_Line]:
    """The lines `split_reply` keeps (signatures, attributions, history removed).

    trim returns kept lines unchanged and in order, so they are found again one by one.
    """
    reply, _ = split_reply("\n".join(line.raw for line in lines))
    wanted = reply.split("\n") if reply else []
    kept, position = [], 0
    for line in lines:
        if position < len(wanted) and line.raw.rstrip() == wanted[position].rstrip():
            kept.append(line)
            position += 1
    return kept


def _own_lines(lines: list[_Line]) -> list[_Line]:
    """Unquoted text of a stretch between anchors, without template lines or signatures."""
    unquoted = _drop_template([line for line in lines if line.depth == 0])
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
    lines = _before_marker(lines)
    kept = _kept_by_trim(lines)
    if quoted_with_marks:
        return _drop_template([line for line in kept if line.depth == 0])
    kept_indices = {line.index for line in kept}
    history = next(
        (line.index for line in lines if line.index not in kept_indices and line.raw.strip()),
        None,
    )
    return [line for line in kept if history is None or line.index < history]


def _before_marker(lines: list[_Line]) -> list[_Line]:
    marker = next((n for n, line in enumerate(lines) if _is_marker(line)), len(lines))
    return lines[:marker]


# -- structure of top-posted text -----------------------------------------------------------

_NUMBERED = re.compile(
    r"^\s*(?:(?P<q>Q)\s*(?P<qn>\d{1,2})\s*[.):-]?|#\s*(?P<hn>\d{1,2})\s*[.):-]?"
    r"|(?P<n>\d{1,2})\s*(?P<punct>[.):]|\s[-–]))(?=\s|$)\s*",
    re.I,
)
# "Progress: …", "**Blockers** - …", or a label alone on its line ("Next steps").
_LABEL = re.compile(
    r"^\s*[*_]*(?P<label>[^\W\d_][^\W_]*(?:[ /&-]+[^\W\d_][^\W_]*){0,3})[*_]*"
    r"\s*(?:[:：]|\s[-–—]\s|\s*$)"
)
_SIGN_OFF = re.compile(
    r"^\s*(?:thanks|thank you|many thanks|thx|cheers|best|regards|kind regards|"
    r"best regards|br|all the best|talk soon|see you)\b[\s\w,.!]{0,20}$",
    re.I,
)
_MAX_SIGN_OFF_LINES = 3


@dataclass
class _Draft:
    """An answer being assembled: the question, the pieces, how we found them."""

    question: Question
    pieces: list[_Piece]
    how: str


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
    starts, previous = [], 0
    for index, number, end, marker_style in found:
        if marker_style == style and previous < number <= count:
            starts.append((index, number, end))
            previous = number
    return starts


def _label_question(text: str, questions: Sequence[Question]) -> tuple[Question, int] | None:
    match = _LABEL.match(text)
    if not match:
        return None
    words = set(_tokens(match["label"]))
    for question in questions:
        names = {*question.keywords, *question.key.split("_")}
        if words & {name.lower() for name in names}:
            return question, match.end()
    return None


def _structured(
    pieces: list[_Piece], questions: Sequence[Question]
) -> tuple[list[_Draft], list[_Piece]]:
    """Answers found in top-posted text, and the text that answered nothing."""
    pieces = _strip_blank_ends(pieces)
    starts: list[tuple[int, Question, int]] = [
        (index, questions[number - 1], end)
        for index, number, end in _numbered_starts(pieces, len(questions))
    ]
    how = "numbered"
    if not starts:
        how = "labelled"
        for index, piece in enumerate(pieces):
            labelled = _label_question(piece.text, questions)
            if labelled:
                starts.append((index, labelled[0], labelled[1]))
    if not starts:
        if len(questions) == 1 and any(piece.text.strip() for piece in pieces):
            return [_Draft(questions[0], *_without_sign_off(pieces), "single-question")][
                :1
            ], _without_sign_off(pieces)[1]
        return [], pieces
    notes = pieces[: starts[0][0]]
    drafts: list[_Draft] = []
    bounds = [index for index, _, _ in starts[1:]] + [len(pieces)]
    for (index, question, end), stop in zip(starts, bounds, strict=True):
        first = pieces[index]
        own = [_Piece(first.start + end, first.text[end:]), *pieces[index + 1 : stop]]
        drafts.append(_Draft(question, own, how))
    drafts[-1].pieces, sign_off = _without_sign_off(drafts[-1].pieces)
    return drafts, notes + sign_off


def _without_sign_off(pieces: list[_Piece]) -> tuple[list[_Piece], list[_Piece]]:
    """Split "Thanks,\\nDana" off the end of the last answer (it goes to notes)."""
    pieces = _strip_blank_ends(pieces)
    for back in range(1, min(_MAX_SIGN_OFF_LINES, len(pieces)) + 1):
        index = len(pieces) - back
        if _SIGN_OFF.match(pieces[index].text) and index > 0:
            return pieces[:index], pieces[index:]
    return pieces, []


# -- putting it together --------------------------------------------------------------------


def parse_reply(
    body_text: str, questions: Sequence[Question], key_results: Sequence[KeyResultRef]
) -> ParsedReply:
    """Answers to `questions` and the facts in them, read from a reply's plain text.

    `body_text` is the full body (quotes included, as `extract_body` gives it). Never
    raises on odd input; what cannot be tied to a question is returned in `notes`.
    """
    lines = _split_lines(body_text)
    anchors = _find_anchors(lines, questions, key_results)
    drafts, kr_passages, notes = _inline(lines, anchors, questions)
    if drafts is None:
        top = _top_text(_before_first(lines, anchors), quoted_with_marks=True)
        drafts, notes = _structured(_pieces(top), questions)
    return _read_facts(body_text, questions, key_results, drafts, kr_passages, notes)


def _before_first(lines: list[_Line], anchors: list[_Anchor]) -> list[_Line]:
    return lines[: anchors[0].first] if anchors else lines


def _inline(
    lines: list[_Line], anchors: list[_Anchor], questions: Sequence[Question]
) -> tuple[list[_Draft] | None, list[tuple[int, list[_Piece]]], list[_Piece]]:
    """Answers written under the quoted questions; (None, [], []) when there are none."""
    segments: list[tuple[_Anchor, list[_Piece]]] = []
    for number, anchor in enumerate(anchors):
        stop = anchors[number + 1].first if number + 1 < len(anchors) else len(lines)
        own = _pieces(_own_lines(lines[anchor.last + 1 : stop]))
        if anchor.answer_from is not None:
            last = lines[anchor.last]
            own.insert(0, _Piece(last.content_start + anchor.answer_from, last.content[anchor.answer_from :]))
        segments.append((anchor, own))
    if not any(_strip_blank_ends(own) for _, own in segments):
        return None, [], []
    by_key: dict[str, _Draft] = {}
    kr_passages: list[tuple[int, list[_Piece]]] = []
    progress = next((q for q in questions if q.kind == "kr_progress"), None)
    for anchor, own in segments:
        if not _strip_blank_ends(own):
            continue
        question = anchor.question or progress
        if anchor.kr_number is not None:
            kr_passages.append((anchor.kr_number, own))
        if question is None:
            continue
        draft = by_key.setdefault(question.key, _Draft(question, [], "inline"))
        draft.pieces.extend(own)
    quoted_with_marks = lines[anchors[0].first].depth > 0
    top = _top_text(_before_first(lines, anchors), quoted_with_marks)
    top_drafts, notes = _structured(_pieces(top), questions)
    for draft in top_drafts:
        by_key.setdefault(draft.question.key, draft)
    if progress is None:
        notes += [piece for _, own in kr_passages for piece in own]
    return list(by_key.values()), kr_passages, notes


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
    kr_passages: list[tuple[int, list[_Piece]]],
    note_pieces: list[_Piece],
) -> ParsedReply:
    order = {question.key: number for number, question in enumerate(questions)}
    drafts = sorted(drafts, key=lambda draft: order.get(draft.question.key, len(order)))
    answers: dict[str, Answer] = {}
    facts = _Facts()
    passages = []
    for draft in drafts:
        passage = _Passage.of(draft.pieces)
        if not passage.text.strip():
            continue
        span = passage.span(0, len(passage.text), body)
        answers[draft.question.key] = Answer(draft.question.key, passage.text, span, draft.how)
        passages.append((draft.question.kind, passage))
    notes = _Passage.of(note_pieces)
    confidence_first = sorted(passages, key=lambda entry: entry[0] != "confidence")
    for kind, passage in passages:
        _read_answer(body, kind, passage, key_results, facts)
    for number, pieces in kr_passages:
        passage = _Passage.of(pieces)
        scan = read_progress(passage.text, key_results, listed=True, kr_number=number)
        _add_progress(body, passage, scan.readings, facts)
    for kind, passage in confidence_first:
        _add_confidence(body, passage, key_results, facts, answer=kind == "confidence")
    _read_free_text(body, notes, key_results, facts)
    return ParsedReply(
        answers=answers,
        notes=notes.text,
        progress=sorted(facts.progress.values(), key=lambda reading: reading.kr_number),
        confidence=_ordered_confidence(facts.confidence),
        blockers=facts.blockers,
        help_requests=facts.help_requests,
        wins=facts.wins,
        missing=_missing(questions, key_results, facts),
        unclear=facts.unclear,
    )


def _read_answer(
    body: str, kind: str, passage: _Passage, key_results: Sequence[KeyResultRef], facts: _Facts
) -> None:
    if kind == "kr_progress":
        scan = read_progress(passage.text, key_results, listed=True)
        _add_progress(body, passage, scan.readings, facts)
        facts.unclear.extend(scan.unclear)
    whole = {"blockers": ("blocker", facts.blockers), "help": ("help", facts.help_requests)}
    whole["wins"] = ("win", facts.wins)
    if kind in whole:
        note_kind, target = whole[kind]
        target.extend(_shift_note(body, passage, note) for note in whole_note(note_kind, passage.text))
    if kind != "blockers":
        _add_sentences(body, passage, "blocker", facts.blockers)
    if kind != "help":
        _add_sentences(body, passage, "help", facts.help_requests)


def _read_free_text(
    body: str, notes: _Passage, key_results: Sequence[KeyResultRef], facts: _Facts
) -> None:
    if not notes.text.strip():
        return
    scan = read_progress(notes.text, key_results, listed=False)
    _add_progress(body, notes, scan.readings, facts)
    _add_confidence(body, notes, key_results, facts, answer=False)
    _add_sentences(body, notes, "blocker", facts.blockers)
    _add_sentences(body, notes, "help", facts.help_requests)


def _add_progress(
    body: str, passage: _Passage, readings: list[ProgressReading], facts: _Facts
) -> None:
    for reading in readings:
        if reading.kr_number not in facts.progress:
            span = passage.span(reading.span.start, reading.span.end, body)
            facts.progress[reading.kr_number] = replace(reading, span=span)


def _add_confidence(
    body: str,
    passage: _Passage,
    key_results: Sequence[KeyResultRef],
    facts: _Facts,
    *,
    answer: bool,
) -> None:
    scan = read_confidence(passage.text, key_results, answer=answer)
    for reading in scan.readings:
        if reading.kr_number not in facts.confidence:
            span = passage.span(reading.span.start, reading.span.end, body)
            facts.confidence[reading.kr_number] = replace(reading, span=span)
    facts.unclear.extend(scan.unclear)


def _add_sentences(body: str, passage: _Passage, kind: str, target: list[Note]) -> None:
    seen = {note.span.start for note in target}
    for note in sentences_with(kind, passage.text):
        shifted = _shift_note(body, passage, note)
        if shifted.span.start not in seen:
            target.append(shifted)


def _shift_note(body: str, passage: _Passage, note: Note) -> Note:
    return replace(note, span=passage.span(note.span.start, note.span.end, body))


def _ordered_confidence(found: dict[int | None, ConfidenceReading]) -> list[ConfidenceReading]:
    return sorted(found.values(), key=lambda reading: (reading.kr_number is None, reading.kr_number or 0))


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
