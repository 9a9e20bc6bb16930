"""Trim an email reply down to the text its sender actually wrote.

A reply body carries baggage around the answer: the quoted previous message, an
"On <date>, <someone> wrote:" attribution (in many languages, often wrapped over
several lines), an Outlook "From:/Sent:/To:/Subject:" block, a forwarded-message
banner, a "-- " signature or a "Sent from my iPhone" footer. `trim_reply` removes it.

How it works (the overall design follows Discourse's email_reply_trimmer):

1. attributions wrapped over several lines are joined back into one line;
2. every line gets one *kind*, written as one letter (see the constants below);
3. the letters are joined into a *pattern* string, so each structural rule is a
   small regex over that string ("text, blanks, then a marker followed only by
   quotes"), applied in order by `_apply_rules`; a rule cuts the pattern and the
   positions of the lines it stands for (`_Kept`), never the lines themselves;
4. the lines that survive are the reply; the others are the elided remainder.

Pure functions over plain text (str in, str out, or the kept lines as a list for
`trimmed_lines`), standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import NamedTuple

# -- line kinds ----------------------------------------------------------------------------

EMPTY = "e"  # blank line
DELIMITER = "d"  # "-- ", "______", "=====": everything below is signature or history
SIGNATURE = "s"  # mobile footer such as "Sent from my iPhone"
MARKER = "b"  # start of an embedded email: "On … wrote:", "-----Original Message-----"
QUOTE = "q"  # "> quoted" (or Supercite "Name> quoted") line
HEADER = "h"  # "From: …", "Von: …", "Sent: …" line of an Outlook-style header block
TEXT = "t"  # anything else: presumably what the sender wrote


class _Kept(NamedTuple):
    """The lines that survive the rules so far: their kinds, one letter per line in order
    (the *pattern* the rules match), and their positions in the prepared
    (attribution-joined) list of lines."""

    pattern: str
    indices: list[int]

    def cut(self, start: int, stop: int | None = None) -> _Kept:
        """Only the lines from `start` up to `stop` (positions in the pattern)."""
        return _Kept(self.pattern[start:stop], self.indices[start:stop])

    def without(self, kind: str) -> _Kept:
        """All lines but those of `kind`."""
        if kind not in self.pattern:
            return self
        indices = [
            index for index, own in zip(self.indices, self.pattern, strict=True) if own != kind
        ]
        return _Kept(self.pattern.replace(kind, ""), indices)


# -- attribution lines ("On <date>, <someone> wrote:") -------------------------------------

# Decoration allowed before an attribution: indentation, quote marks, the bold stars of
# rich-text clients, and the dashes some clients wrap it in ("---- On … wrote ----").
_LEAD = r"^[\s>*\-]*"
_EMAIL = r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+"

# Words that open a dated attribution ("On Mon, …", "Am 03.02.2016 …", "Le 4 janv. …").
_OPENERS = "|".join(
    (
        r"On|At|In message",  # English
        r"Am",  # German
        r"Le",  # French
        r"El",  # Spanish
        r"Em",  # Portuguese
        r"Il",  # Italian
        r"Op",  # Dutch
        r"Den|På",  # Swedish, Danish, Norwegian
        r"Dnia|W dniu",  # Polish
        r"Dne|Dňa",  # Czech, Slovak
        r"В|Во",  # Russian, Ukrainian
    )
)
# "<someone> wrote" in each language; the attribution ends with one of them.
_WROTE = "|".join(
    (
        r"wrote|writes",  # English
        r"schrieb|schrieben\s+Sie|geschrieben",  # German
        r"a\s+écrit|nous\s+a\s+dit",  # French
        r"escribió",  # Spanish
        r"escreveu",  # Portuguese
        r"ha\s+scritto",  # Italian
        r"schreef|het\s+volgende\s+geschreven",  # Dutch
        r"skrev",  # Swedish, Danish, Norwegian
        r"napisał(?:\(a\)|a)?|napísal(?:\(a\)|a)?|napsal(?:\(a\)|a)?",  # Polish, Slovak, Czech
        r"написал(?:\(а\)|а)?|написав|пише",  # Russian, Ukrainian
        r"kirjoitti",  # Finnish
        r"írta",  # Hungarian
        r"yazdı",  # Turkish
        r"έγραψε",  # Greek
    )
)
# CJK scripts have no word boundaries, so these are matched without one.
_WROTE_CJK = r"写道|寫道|書きました|のメッセージ|님이\s?작성"
# Languages whose clients put the verb in the middle: "Am <date> schrieb X <x@y>:".
_WROTE_MID = r"schrieb|schreef|skrev|napisał|escribió|escreveu"
# A date first, possibly after a weekday: "23 mar 2017 …", "понедельник, 6 октября …".
_DATE_FIRST = r"(?:[^\W\d_]{1,15}\.?,\s*)?\d"

_OPENER_START = re.compile(rf"{_LEAD}(?:(?:{_OPENERS})\s|在)")
_DATE_START = re.compile(rf"{_LEAD}{_DATE_FIRST}")
# A name, then an address: "Some One <some@one.org>" (a bare "<x@y>" is not enough).
_NAMED_EMAIL = re.compile(rf"\S\s+[\"'<(\[]?\s*(?:mailto:)?{_EMAIL}")
# A year or a clock time: what makes "On …" an attribution rather than "On KR2 I wrote:".
# A lookahead first, here and below: a pattern that opens with a lookbehind is tried in
# full at every position, and the lookahead fails at once where no digit is.
_DATE_OR_TIME = re.compile(r"(?=\d)(?<!\d)(?:\d{4}|\d{1,2}[:.]\d{2})(?!\d)")
_YEAR = re.compile(r"(?=\d)(?<!\d)\d{4}(?!\d)")
_ENDS_WITH_WROTE = re.compile(rf"(?:(?<!\w)(?:{_WROTE})|{_WROTE_CJK})[\s.:：>\-]*$")
_WROTE_THEN_COLON = re.compile(rf"(?<!\w)(?:{_WROTE_MID})\s.*[:：]\s*$")

# -- other embedded-email markers -----------------------------------------------------------

# "2013/7/20 sam via Discourse <info@discourse.org>", "вт, 5 янв. 2016 г. в 23:39, X <x@y>:"
_DATE_THEN_EMAIL = re.compile(
    rf"{_LEAD}{_DATE_FIRST}.{{0,150}}?[<(\[]\s*(?:mailto:)?{_EMAIL}\s*[>)\]]*\s*[:：]?\s*$"
)
# Gmail's "2016-03-03 17:21 GMT+01:00 Some One" (an address, if any, is wrapped away).
_ISO_DATE_GMT = re.compile(
    rf"{_LEAD}\d{{4}}-\d\d-\d\d\s+\d{{1,2}}:\d\d(?::\d\d)?\s+GMT[+-]\d\d:?\d\d\s+[^<>@\s][^<>@]*$"
)
# "codinghorror via Discourse Meta wrote:"
_VIA_WROTE = re.compile(rf"{_LEAD}\S.{{0,100}}?\svia\s.{{1,100}}?(?<!\w)(?:{_WROTE})\s*[:：]?\s*$")
_BANNER_TITLES = "|".join(
    (
        r"Forwarded message|Original message|Reply message",  # English
        r"Ursprüngliche Nachricht|Weitergeleitete Nachricht",  # German
        r"Message transféré|Message d'origine|Message original",  # French
        r"Mensaje original|Mensaje reenviado",  # Spanish
        r"Mensagem original|Mensagem encaminhada",  # Portuguese
        r"Messaggio originale|Messaggio inoltrato",  # Italian
        r"Oorspronkelijk bericht|Doorgestuurd bericht",  # Dutch
        r"Originalmeddelande|Vidarebefordrat meddelande",  # Swedish
        r"Opprinnelig melding|Videresendt melding",  # Norwegian
        r"Oprindelig meddelelse|Videresendt meddelelse",  # Danish
        r"Alkuperäinen viesti|Välitetty viesti",  # Finnish
        r"Исходное сообщение|Пересылаемое сообщение|Пересланное сообщение",  # Russian
        r"Wiadomość oryginalna|Oryginalna wiadomość|Przekazana wiadomość",  # Polish
        r"Původní zpráva|Přeposlaná zpráva|Pôvodná správa",  # Czech, Slovak
        r"原始邮件|原始郵件|转发邮件",  # Chinese
        r"転送されたメッセージ|元のメッセージ",  # Japanese
        r"원본 메시지|전달된 메시지",  # Korean
    )
)
# "-----Original Message-----", "*-------- Original Message --------*", "---------- Forwarded…"
_BANNER = re.compile(rf"^[\s>*_]*-{{2,}}\s*(?:{_BANNER_TITLES})\s*-{{2,}}[\s*_]*$", re.I)
_FORWARD_INTROS = (
    r"Begin forwarded message",
    r"Début du message (?:transféré|réexpédié)",
    r"Anfang der weitergeleiteten Nachricht",
    r"Inicio del mensaje reenviado",
    r"Início da mensagem reencaminhada",
    r"Inizio messaggio inoltrato",
    r"Begin doorgestuurd bericht",
    r"Начало пересылаемого сообщения",
)
_FORWARD_INTRO = re.compile(rf"^[\s>*]*(?:{'|'.join(_FORWARD_INTROS)})\s*[:：]", re.I)
# Discourse-style "Posted by sam on 03/26/2016"
_POSTED_BY = re.compile(r"^[\s>]*Posted by .+ on \d{1,2}/\d{1,2}/\d{2,4}\s*$")

# What every marker holds (see `_hallmarks`): a word with no space in it from each `_WROTE`
# and `_WROTE_CJK` verb (attributions and "via" lines end with one), or "@" (date then
# address), "GMT" (Gmail's ISO date), "--" (banners), "Posted" (Discourse), or the first
# word of a forwarding intro after the lead.
_WROTE_HINTS = (
    "wrote", "writes", "schrieb", "écrit", "dit", "escribió", "escreveu", "scritto", "schreef",
    "geschreven", "skrev", "napisał", "napísal", "napsal", "написа", "пише", "kirjoitti",
    "írta", "yazdı", "έγραψε", "写道", "寫道", "書きました", "のメッセージ", "작성",
)  # fmt: skip


def _by_first_character(words: Sequence[str]) -> str:
    """A regex matching any of `words` (plain letters), with the words grouped by their
    first character ("w(?:rote|rites)|s(?:chrieb|…)"): at each position the engine then
    tries one branch per character rather than every word. It matches the same texts."""
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[0], []).append(word[1:])
    return "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items())


_WROTE_HINT = re.compile(_by_first_character(_WROTE_HINTS))
_FORWARD_WORDS = "|".join(intro.split()[0] for intro in _FORWARD_INTROS)
_FORWARD_HINT = re.compile(rf"[\s>*]*(?:{_FORWARD_WORDS})", re.I)
# How the first line of a marker that holds no "wrote" verb starts: with a date (the
# date and address line, Gmail's ISO date), dashes (banners), a forwarding intro or
# "Posted". "$": a first line of lead characters only leaves it to the next line.
_MARKER_START = re.compile(
    rf"{_LEAD}(?:[^\W\d_]{{1,15}}\.?,\s*)?(?:\d|$)"
    r"|[\s>*_]*(?:-|$)"
    rf"|[\s>*]*(?i:{_FORWARD_WORDS})"
    r"|[\s>]*Posted"
)

# -- quotes, delimiters, code ---------------------------------------------------------------

# "> text", and Supercite's "Name> text" / "C>" (a short word glued to the ">").
_QUOTE = re.compile(r"^\s*(?:>|[A-Za-z]{1,20}>(?=\s|>|$))")
# A line made only of separator characters. "--" is the usenet signature delimiter; the
# lone "ᐧ" is what Gmail leaves behind its tracking image. Three-character markdown rules
# ("---", "***", "___") are deliberately not delimiters: people use them inside answers.
_DELIMITER = re.compile(r"^\s*(?:--|ᐧ|[-_=+~#*,—–]{3,})\s*$")
_MARKDOWN_RULE = re.compile(r"^\s*(?:-{3}|\*{3}|_{3})\s*$")
_FENCE = re.compile(r"^ {0,3}```")

# -- mobile signatures ----------------------------------------------------------------------

_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_URL = re.compile(r"<?https?://[^\s>]*>?")
_MAIL_APPS = (
    "mail|mailbox|airmail|outlook|gmail|yahoo|mobile|phone|iphone|ipad|android|galaxy|"
    "samsung|blackberry|device|tablet|windows|app"
)
_MAX_SIGNATURE_CHARS = 100  # a footer is one short line; longer lines are real text
_SIGNATURE_PATTERNS = (
    r"^[(<\[\s]*sent from my\b",  # "Sent from my iPhone", "(Sent from my TI-85)"
    # "Sent with Airmail", "(sent from a phone)": a few words naming an app or device
    rf"^[(<\[\s]*sent (?:from|via|with|by|using)\s+(?=.*(?<![\w-])(?:{_MAIL_APPS})\b)"
    r"(?:\S+\s*){1,5}$",
    r"^\s*from my (?:iphone|ipad|ipod|android|mobile|phone|cell|samsung|galaxy|blackberry)",
    r"^\s*\S+ from (?:my )?(?:mobile|phone|iphone|ipad)\W*$",  # "Nik from mobile"
    r"^\s*get outlook for \w+",
    r"^\s*envoyé (?:depuis|de|avec) ",  # French
    r"^\s*von meine[mnr]? .{1,60} gesendet\W*$",  # German
    r"^\s*gesendet (?:von|mit) ",
    r"^\s*diese nachricht wurde von .{1,80} gesendet\W*$",
    r"^\s*inviato da(?:l mio)? ",  # Italian
    r"^\s*enviad[oa] (?:desde|do|de|con|com) ",  # Spanish, Portuguese
    r"^\s*(?:verzonden|verstuurd) (?:met|vanaf|van) ",  # Dutch
    r"^\s*(?:sendt fra|skickat från|från) min ",  # Danish, Norwegian, Swedish
    r"^\s*lähetetty \S+(?:sta|stä)\b",  # Finnish
    r"^\s*отправлено (?:с|из) ",  # Russian
    r"^\s*wysłan[eo] z ",  # Polish
    r"^\s*(?:從我的|发自我的|來自我的)",  # Chinese
    r"^\s*\S{1,20}から送信\s*$",  # Japanese
    r"^\s*\S{1,20}에서 보냄\s*$",  # Korean
)
# All footers in one regex: each pattern is anchored at the start, so one match of their
# alternation says whether any of them matches, in a single call instead of nineteen.
_SIGNATURE = re.compile("|".join(f"(?:{p})" for p in _SIGNATURE_PATTERNS), re.I)

# -- Outlook-style header blocks ------------------------------------------------------------

_SENDER_NAMES = (
    "From|Von|De|Expéditeur|Da|Van|Fra|Från|От|Od|Lähettäjä|发件人|寄件者|差出人|보낸 사람"
)
_OTHER_HEADER_NAMES = "|".join(
    (
        r"Sent|Date|To|Cc|Bcc|Reply-To|Subject",  # English
        r"Gesendet|Datum|An|Kopie|Antwort an|Betreff",  # German
        r"Envoyé|À|A|Objet|Destinataire|Répondre à",  # French
        r"Enviado|Enviada em|Fecha|Para|Asunto|Assunto|Responder a",  # Spanish, Portuguese
        r"Inviato|Data|Oggetto|Risposta|Rispondi a",  # Italian
        r"Verzonden|Aan|Onderwerp|Beantwoorden - Aan",  # Dutch
        r"Sendt|Til|Kopi|Emne|Svar til",  # Danish, Norwegian
        r"Skickat|Till|Kopia|Ämne|Svara till",  # Swedish
        r"Отправлено|Дата|Кому|Копия|Тема",  # Russian
        r"Wysłano|Wysłane|Do|DW|Temat",  # Polish
        r"Odesláno|Komu|Předmět",  # Czech
        r"Lähetetty|Vastaanottaja|Aihe",  # Finnish
        r"发送时间|收件人|抄送|主题|寄件日期|收件者|副本|主旨",  # Chinese
        r"送信日時|宛先|件名",  # Japanese
        r"보낸 날짜|받는 사람|참조|제목",  # Korean
    )
)
# "From: x", "*From:* x", "Envoyé : x" - never quoted ("> From:" stays a quote).
_HEADER = re.compile(
    rf"^[ \t*]*(?:{_SENDER_NAMES}|{_OTHER_HEADER_NAMES})[ \t*]*[:：][ \t*]*\S", re.I
)
_SENDER_HEADER = re.compile(rf"^[ \t*]*(?:{_SENDER_NAMES})[ \t*]*[:：]", re.I)
# At least three header lines, allowing a wrapped value ("Subject: a long\nsubject").
_HEADER_BLOCK = re.compile(r"h(?:[te]{0,2}h){2,}")

# -- structural rules over the pattern of kinds ---------------------------------------------

_MAX_WRAPPED_LINES = 5  # an attribution wrapped by a client spans at most this many lines
_MAX_FOOTER_TEXT_LINES = 6  # text below quoted history up to this size is a footer
_REPLY_BELOW_HISTORY = re.compile(r"b[^t]*(t[te]*)")
_MARKER_WITHOUT_QUOTE = re.compile(r"te*(b)[^q]*$")
_MARKER_BEFORE_QUOTE = re.compile(r"te*(b)[eqbh]*([te]*)$")
_TRAILING_QUOTES = re.compile(r"t([eq]+)$")


def trim_reply(text: str) -> str:
    """Return the new text the sender wrote: quoted history, reply headers and signature removed.

    Contract:
    - line endings are normalised to "\\n"; leading/trailing blank lines are dropped, the
      remaining lines are returned unchanged (indentation and inner blank lines kept);
    - answers interleaved between quoted lines are kept *with* the quotes above them, only
      the quoted history after the last answer is dropped (as Discourse's corpus expects);
    - if the body starts with the sender's own text, the result is never empty;
    - if everything is quoted, the quotes are returned minus their attribution/header.
    """
    return "\n".join(trimmed_lines(text)).rstrip()


def trimmed_lines(text: str) -> list[str]:
    """The lines of `trim_reply(text)`, [] when it is "" (unlike there, the last line
    keeps any trailing whitespace): for callers that want the kept lines themselves."""
    lines, kept = _kept_lines(text)
    return _tidy([lines[index] for index in kept])


def split_reply(text: str) -> tuple[str, str]:
    """(reply, elided) — the kept text and the removed remainder.

    `reply` is exactly `trim_reply(text)`. `elided` holds every other line, in order,
    with wrapped attributions joined onto one line; it is "" when nothing was removed.
    """
    lines, kept = _kept_lines(text)
    kept_indices = set(kept)
    elided = [line for index, line in enumerate(lines) if index not in kept_indices]
    reply = [lines[index] for index in kept]
    return "\n".join(_tidy(reply)).rstrip(), "\n".join(_tidy(elided)).rstrip()


def _kept_lines(text: str) -> tuple[list[str], list[int]]:
    """Every line of the text (wrapped attributions joined), and the positions of those kept."""
    lines = _join_wrapped_attributions(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    kinds = _kinds(lines)
    kept = _apply_rules(lines, kinds)
    if not _has_content(lines, kept):
        kept = _leading_own_text(kinds) if _starts_with_own_text(kinds) else []
    return lines, kept


# -- preparation ----------------------------------------------------------------------------


def _join_wrapped_attributions(lines: list[str]) -> list[str]:
    """Join attributions that mail clients wrapped over several lines into one line.

    "On Mon, Feb 1, 2016 at 6:32 PM, Jeff <jeff@example.com>\\nwrote:" is only
    recognisable as a whole, so the following lines are glued on when that completes it.
    """
    joined: list[str] = []
    count = len(lines)
    hints = list(map(_hallmarks, lines))  # cached: the quoted prompt's lines come back
    start = 0
    # Every marker holds a hallmark, so only windows with a line that has one can glue
    # into one: those starting at most _MAX_WRAPPED_LINES - 1 lines above such a line.
    # The lines in between are copied as they are, without testing each window.
    for hinted in (index for index, hint in enumerate(hints) if hint):
        if hinted < start:
            continue  # already glued onto a marker above it
        if _is_marker(lines[hinted]):
            # A marker on one line (the usual "On … wrote:"): no window from `start` up to
            # it glues into one, as the lines above it hold no hallmark and gluing stops
            # at a marker (see `_window_may_hold_marker`). They are copied as they are.
            joined.extend(lines[start : hinted + 1])
            start = hinted + 1
            continue
        first = hinted - _MAX_WRAPPED_LINES + 1
        if first > start:
            joined.extend(lines[start:first])
            start = first
        while start <= hinted:  # here `hinted` is the first line with a hallmark from `start`
            end = min(start + _MAX_WRAPPED_LINES, count)
            # The test `_wrapped_marker_size` starts with, inlined: most lines have no
            # colon in the lines that could be wrapped onto them. Then a cheaper test
            # than gluing: nearly all windows that pass it (the quoted prompt's) hold no
            # marker's hallmark.
            size = (
                _wrapped_marker_size(lines, start, end)
                if any(":" in line for line in lines[start + 1 : end])
                and _window_may_hold_marker(lines, start, end, hints)
                else 1
            )
            joined.append(_glue(lines[start : start + size]) if size > 1 else lines[start])
            start += size
    joined.extend(lines[start:])
    return joined


def _window_may_hold_marker(lines: list[str], start: int, end: int, hints: list[int]) -> bool:
    """False when no lines glued from `start` on (up to `end`) can form a marker (then
    `_wrapped_marker_size` is 1): a cheap test that rules out nearly every window.

    Every marker holds a hallmark (`_hallmarks`) with no space in it, which therefore
    lies within one line of the window (glued lines are joined with a space). Attributions
    (and "via" lines) hold a "wrote" verb; the other markers must also start as the
    window's first line does (`_MARKER_START`).
    hints: `_hallmarks` of each line.
    """
    wrote = other = False
    for index in range(start, end):
        hint = hints[index]
        if hint and _is_marker(lines[index]):
            if index == start:
                return False  # a marker on its own line is not glued to anything
            break  # gluing stops at a marker on a later line (`_glued_marker_size`)
        wrote = wrote or hint == _WROTE_HALLMARK
        other = other or hint == _OTHER_HALLMARK
    return wrote or (other and _MARKER_START.match(lines[start]) is not None)


_WROTE_HALLMARK = 2  # a "wrote" verb
_OTHER_HALLMARK = 1  # only hallmarks of the other markers


@lru_cache(maxsize=8192)
def _hallmarks(line: str) -> int:
    """Which hallmarks of a marker `line` holds: 0 (none, so `_is_marker` is false),
    `_WROTE_HALLMARK` or `_OTHER_HALLMARK`."""
    if _WROTE_HINT.search(line):
        return _WROTE_HALLMARK
    others = (
        "@" in line
        or "--" in line
        or "GMT" in line
        or "Posted" in line
        or _FORWARD_HINT.match(line) is not None
    )
    return _OTHER_HALLMARK if others else 0


def _wrapped_marker_size(lines: list[str], start: int, end: int) -> int:
    """How many lines from `start` form one wrapped marker (1 when they do not).

    end: the end of the window of lines that may be wrapped onto lines[start], which the
    caller has checked holds a ":" after `start` (every wrapped marker ends in a colon,
    "wrote:", or holds a time).
    """
    if not lines[start].strip() or _is_marker(lines[start]):
        return 1
    return _glued_marker_size(tuple(lines[start:end]))


@lru_cache(maxsize=4096)
def _glued_marker_size(window: tuple[str, ...]) -> int:
    """How many of the lines in `window` (a marker's first line and the lines that may
    be wrapped onto it) form one wrapped marker, 1 when they do not.

    Cached: gluing and testing is the slow part of preparing a reply, and the windows of
    the quoted prompt (the template's lines, a person's key results) come back each week.
    """
    glued = window[0].rstrip()  # `_glue(window[:end])`, built up line by line
    for end in range(2, len(window) + 1):
        if _is_marker(window[end - 1]):
            break  # the marker on that line stands on its own
        part = window[end - 1].strip()
        if part:
            glued = f"{glued} {part}"
        elif end > 2:
            continue  # a blank line adds nothing to the text glued and tested just before
        if _is_marker(glued) and not _marker_starts_later(window, 0, end):
            return end
    return 1


def _marker_starts_later(lines: Sequence[str], start: int, end: int) -> bool:
    """Whether lines[start+1:end] already form the marker (then lines[start] is text).

    When lines[start] opens like an attribution ("On <date>", a leading date), only a
    later line that does so too takes over: in a body such as "On <date> Some One",
    "<", "mailto:Some One <one@x.org>", "> wrote:" the last two lines would also read as
    an attribution, but the four lines together are the one the client wrapped.
    """
    opens = _opens_attribution(lines[start])
    for later in range(start + 1, end):
        candidate = _glue(lines[later:end])
        if not lines[later].strip() or not _is_marker(candidate):
            continue
        if not opens or _opens_attribution(candidate):
            return True
    return False


def _opens_attribution(line: str) -> bool:
    return bool(_OPENER_START.match(line) or _DATE_START.match(line))


def _glue(lines: Sequence[str]) -> str:
    """One line from a wrapped one: the first line keeps its lead, the rest are trimmed."""
    head, *rest = lines
    return " ".join([head.rstrip(), *(part.strip() for part in rest if part.strip())])


# -- classification -------------------------------------------------------------------------


def _kinds(lines: list[str]) -> str:
    """The kind of each line, one letter per line; lines of fenced code blocks are text."""
    kinds = "".join(map(_kind_of, lines))
    if TEXT in kinds and QUOTE in kinds:
        kinds = _attributions_before_quotes(lines, kinds)
    code = _code_block_lines(lines)
    if not code:
        return kinds
    letters = list(kinds)
    for index in code:
        letters[index] = TEXT
    return "".join(letters)


def _attributions_before_quotes(lines: list[str], kinds: str) -> str:
    """`kinds`, with a short line that ends in a "wrote" verb and is followed by a quote
    a marker: "On Tue, okrmail wrote:", "okrmail wrote:", "Am Dienstag schrieb okrmail:".

    Alone, a line needs a date, a time or an address to be an attribution ("Bob wrote:"
    in prose stays text, see `_is_attribution`); right above the quoted lines it leads
    into, it is one whatever it names, and kept it would end the answer above it.
    """
    letters = list(kinds)
    for index, kind in enumerate(kinds):
        if kind != TEXT or _hallmarks(lines[index]) != _WROTE_HALLMARK:
            continue
        following = next((k for k in kinds[index + 1 :] if k != EMPTY), None)
        if following == QUOTE and _is_bare_attribution(lines[index]):
            letters[index] = MARKER
    return "".join(letters)


def _is_bare_attribution(line: str) -> bool:
    return (
        len(line) <= _MAX_BARE_ATTRIBUTION
        and bool(_ENDS_WITH_WROTE.search(line) or _WROTE_THEN_COLON.search(line))
        and line.rstrip().endswith((":", "："))
    )


_MAX_BARE_ATTRIBUTION = 100  # characters: a line that introduces a quote, not a paragraph


def _code_block_lines(lines: list[str]) -> set[int]:
    """Indices of the lines of closed ``` fences (a "#" or "--" in code is not a delimiter)."""
    if "```" not in "\n".join(lines):
        return set()  # one scan of the text: most replies have no fence at all
    fences = [i for i, line in enumerate(lines) if "```" in line and _FENCE.match(line)]
    code: set[int] = set()
    for opening, closing in zip(fences[::2], fences[1::2], strict=False):
        code.update(range(opening, closing + 1))
    return code


@lru_cache(maxsize=8192)
def _kind_of(line: str) -> str:
    """The kind of one line. Order matters: a quoted "> On … wrote:" is a marker.

    Cached: the quoted prompt comes back in every reply, and its lines (the template's
    questions, hints and instructions, a person's key results) are the same each time.
    """
    if not line.strip():
        return EMPTY
    if _DELIMITER.match(line) and not _MARKDOWN_RULE.match(line):
        return DELIMITER
    if _is_signature(line):
        return SIGNATURE
    # `_is_marker` starts with this same cached test, which rules out most lines: tested
    # here, a new line is not also stored in `_is_marker`'s cache to say so.
    if _hallmarks(line) and _is_marker(line):
        return MARKER
    if _QUOTE.match(line):
        return QUOTE
    if (":" in line or "：" in line) and _HEADER.match(line):  # a header holds its colon
        return HEADER
    return TEXT


def _is_signature(line: str) -> bool:
    """A one-line mobile footer ("Sent from my iPhone", "Von meinem iPad gesendet")."""
    bare = line
    if "](" in bare:  # substitutions are slow; most lines hold no link to unwrap
        bare = _MARKDOWN_LINK.sub(r"\1", bare)
    if "://" in bare:
        bare = _URL.sub("", bare)
    bare = bare.strip()
    return len(bare) <= _MAX_SIGNATURE_CHARS and bool(_SIGNATURE.match(bare))


@lru_cache(maxsize=4096)
def _is_marker(line: str) -> bool:
    """Whether the line introduces an embedded (quoted or forwarded) email.

    Cached: the search for wrapped markers asks about the same lines many times over.
    """
    hallmarks = _hallmarks(line)
    if not hallmarks:
        return False  # most lines: one cheap test instead of a dozen regexes
    return (
        (hallmarks == _WROTE_HALLMARK and _is_attribution(line))
        # "@" and "via" first: the regexes that need them scan the whole line to fail.
        or bool("@" in line and _DATE_THEN_EMAIL.match(line) and _YEAR.search(line))
        or bool(_ISO_DATE_GMT.match(line))
        or bool("via" in line and _VIA_WROTE.match(line))
        or bool(_BANNER.match(line) or _FORWARD_INTRO.match(line) or _POSTED_BY.match(line))
    )


def _is_attribution(line: str) -> bool:
    """An "On <date>, <someone> wrote:" line in any supported language.

    It needs an anchor (an opener word and a date or time, a leading date with a year, or a
    named address) *and* a "wrote" verb, so prose such as "Bob wrote:" stays text.
    """
    named_email = "@" in line and _NAMED_EMAIL.search(line)  # a search fails slowly: test "@"
    anchored = (
        (_OPENER_START.match(line) and _DATE_OR_TIME.search(line))
        or (_DATE_START.match(line) and _YEAR.search(line))
        or named_email
    )
    if not anchored:
        return False
    if _ENDS_WITH_WROTE.search(line):
        return True
    verb_in_middle = _WROTE_THEN_COLON.search(line)
    return bool(verb_in_middle and (named_email or _OPENER_START.match(line)))


# -- rules ----------------------------------------------------------------------------------


def _apply_rules(lines: list[str], kinds: str) -> list[int]:
    """Run the structural rules in order on the lines of `kinds` (their kinds, one letter
    each); each takes and returns the surviving lines. Returns the positions of the lines
    that survive them all.

    A rule changes nothing unless a line of one of its kinds is there (see `_RULES`), and
    rules only ever remove lines, so most rules are skipped for a plain answer.
    """
    present = set(kinds)
    kept = _Kept(kinds, list(range(len(kinds))))
    for needed, rule in _RULES:
        if not present.isdisjoint(needed):
            kept = rule(lines, kept)
    return kept.indices


def _cut_at_delimiter(lines: list[str], kept: _Kept) -> _Kept:
    """Below a delimiter that follows the sender's text is a signature or history: cut.

    A delimiter above any text (a banner at the very top) carries nothing: drop it.
    """
    # The first delimiter after the first text line (what `t[^d]*d` finds, found with two
    # scans: that search tried each text line in turn when no delimiter followed).
    first_text = kept.pattern.find(TEXT)
    delimiter = kept.pattern.find(DELIMITER, first_text) if first_text >= 0 else -1
    if delimiter >= 0:
        kept = kept.cut(0, delimiter)
    return kept.without(DELIMITER)


def _drop_signatures(lines: list[str], kept: _Kept) -> _Kept:
    """Mobile footers can sit anywhere (even above the quote): drop each of them."""
    return kept.without(SIGNATURE)


def _keep_reply_below_history(lines: list[str], kept: _Kept) -> _Kept:
    """Bottom-posting: a marker at the top, the history, then only the reply: keep the reply."""
    match = _REPLY_BELOW_HISTORY.fullmatch(kept.pattern)
    return kept.cut(match.start(1)) if match else kept


def _cut_at_marker_without_quote(lines: list[str], kept: _Kept) -> _Kept:
    """Text, then a marker with no quote after it: the rest is an unquoted embedded email."""
    match = _MARKER_WITHOUT_QUOTE.search(kept.pattern)
    return kept.cut(0, match.start(1)) if match else kept


def _cut_at_marker_before_quote(lines: list[str], kept: _Kept) -> _Kept:
    """Text, then a marker and quoted history, then at most a short footer: cut at the marker.

    A long stretch of text after the quote is an answer written below it, not a footer,
    and is left for the later rules.
    """
    match = _MARKER_BEFORE_QUOTE.search(kept.pattern)
    if match and match.group(2).count(TEXT) <= _MAX_FOOTER_TEXT_LINES:
        return kept.cut(0, match.start(1))
    return kept


def _drop_markers(lines: list[str], kept: _Kept) -> _Kept:
    """Markers left over (above interleaved answers, or in an all-quoted body) carry nothing."""
    return kept.without(MARKER)


def _handle_header_blocks(lines: list[str], kept: _Kept) -> _Kept:
    """An Outlook header block below text starts the embedded email: cut there.

    At the top (a forwarded message with nothing written above it) only the block goes.
    A block needs three header lines, one of them a sender ("From:", "Von:", …), so a
    lone "Date: Friday" or "A: yes" in an answer stays text.
    """
    pattern, indices = kept
    for match in _HEADER_BLOCK.finditer(pattern):
        start, end = match.span()
        if not any(
            pattern[at] == HEADER and _SENDER_HEADER.match(lines[indices[at]])
            for at in range(start, end)
        ):
            continue
        if TEXT in pattern[:start]:
            return kept.cut(0, start)
        return _Kept(pattern[:start] + pattern[end:], indices[:start] + indices[end:])
    return kept


def _cut_trailing_quotes(lines: list[str], kept: _Kept) -> _Kept:
    """Quoted history after the sender's last line of text is dropped."""
    match = _TRAILING_QUOTES.search(kept.pattern)
    return kept.cut(0, match.start(1)) if match else kept


# The rules in the order they run, each with the kinds of line without which it is a no-op.
_RULES: tuple[tuple[tuple[str, ...], Callable[[list[str], _Kept], _Kept]], ...] = (
    ((DELIMITER,), _cut_at_delimiter),
    ((SIGNATURE,), _drop_signatures),
    ((MARKER,), _keep_reply_below_history),
    ((MARKER,), _cut_at_marker_without_quote),
    ((MARKER,), _cut_at_marker_before_quote),
    ((MARKER,), _drop_markers),
    ((HEADER,), _handle_header_blocks),
    ((QUOTE, EMPTY), _cut_trailing_quotes),  # trailing blank lines go too
)


# -- results --------------------------------------------------------------------------------


def _has_content(lines: list[str], kept: list[int]) -> bool:
    """Whether any kept line says something (a bare ">" of an emptied quote does not)."""
    # It says something when it holds a character that is neither blank nor ">": found
    # with two string methods (C loops), cheaper than a regex stripping its quote marks.
    return any(lines[index].replace(">", "").strip() for index in kept)


def _starts_with_own_text(kinds: str) -> bool:
    """Whether the first non-blank line is the sender's (text or a footer, not history)."""
    first = kinds.lstrip(EMPTY)[:1]
    return first in (TEXT, SIGNATURE)


def _leading_own_text(kinds: str) -> list[int]:
    """Fallback when the rules removed everything: the lines above the first history line."""
    history = (DELIMITER, MARKER, QUOTE, HEADER)
    end = next((i for i, kind in enumerate(kinds) if kind in history), len(kinds))
    return list(range(end))


def _tidy(lines: list[str]) -> list[str]:
    """The lines without blank lines at both ends and stray markdown rules at the end."""
    first, stop = 0, len(lines)
    while first < stop and not lines[first].strip():
        first += 1
    while stop > first and (not lines[stop - 1].strip() or _MARKDOWN_RULE.match(lines[stop - 1])):
        stop -= 1
    return lines[first:stop]
