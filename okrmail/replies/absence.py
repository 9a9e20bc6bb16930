"""Notes that say someone is away: "I'm on holiday this week, can we skip this one?", or a
manager in the report's thread: "Lena is on sick leave, let's skip this one".

A person who writes this will not answer; reminders would only pester them. Written by a
human, not a robot (robots.py reads auto-replies), so it is read sentence by sentence: the
absence must be now or to come ("back from holiday" and "I was sick" are news, not
absence), and it must be said of the right person.
"""

from __future__ import annotations

import re

# A day after "off", "out", "away": a weekday or a day of the month, in English only (the
# other languages have their own words of absence).
_ENGLISH_DAY = (
    r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?|wednesday|saturday"
    r"|the \d{1,2}(?:st|nd|rd|th))\b"
)
# Being away, now or soon, in the words people use in a note (not an auto-reply's).
_A_LEAVE = (
    r"(?:a |my |her |his |their )?(?:holidays?|vacation|leave|pto|sick leave|annual leave"
    r"|parental leave|maternity leave|paternity leave|medical leave|sabbatical)\b"
)
_AWAY = re.compile(
    r"\bon " + _A_LEAVE + r"|\b(?:off|out) sick\b|\b(?:sick|unwell)\b|\bill\b(?!-)"
    # "off on" stops short of a leave ("off on holiday"): matches do not overlap, so an
    # "off on" the day rule turns down would hide the "on holiday" after it.
    r"|\b(?:off|out|away) (?:(?:today|tomorrow|this week|next week|all week|until|till"
    r"|through|from|on(?! " + _A_LEAVE + r"))\b|(?:this |next )?" + _ENGLISH_DAY + r")"
    r"|\bout of (?:the )?office\b|\booo\b"
    r"|\bim urlaub\b|\bin urlaub\b|\bkrank(?:geschrieben)?\b|\bin elternzeit\b"
    r"|\bnicht im büro\b|\babwesend\b"
    r"|\ben (?:congés?|vacances|arrêt maladie)\b|\bmalade\b|\babsente?\b"
    r"|\bde (?:vacaciones|baja|permiso)\b|\benferm[oa]\b|\bfuera de la oficina\b"
    r"|\b(?:op|met) vakantie\b|\bziek\b|\bmet verlof\b|\bafwezig\b"
    r"|\bde (?:férias|licença)\b|\bdoente\b|\bin (?:ferie|vacanza)\b|\bmalat[oa]\b",
    re.I,
)
# Every match of `_AWAY` holds, as a whole word, one of `_AWAY_WORDS` (its last word: "on
# my holiday", "op vakantie", "arrêt maladie"), or one of `_GOING` and after it one of
# `_WHEN` or a day of the month ("off today", "out next week", "away Fri", "off the 14th").
# Keep them in step with it (tests/replies/test_absence.py checks).
_AWAY_WORDS = frozenset(
    """holiday holidays vacation leave pto sabbatical sick unwell ill office ooo urlaub krank
    krankgeschrieben elternzeit büro abwesend congé congés vacances maladie malade absent
    absente vacaciones baja permiso enfermo enferma oficina vakantie ziek verlof afwezig
    férias licença doente ferie vacanza malato malata""".split()  # noqa: SIM905 (words)
)
_GOING = frozenset({"off", "out", "away"})
_WHEN = frozenset(
    """today tomorrow week until till through from on mon monday tue tueday tues tuesday wed
    wedday wednesday thu thuday thur thurday thurs thursday fri friday sat satday saturday
    sun sunday""".split()  # noqa: SIM905 (words)
)
_DAY_OF_MONTH = re.compile(r"\d{1,2}(?:st|nd|rd|th)")
_WORD = re.compile(r"\w+")
# Before the absence in its sentence: it is over, or it has not begun and the answers will
# come first ("back from holiday", "I was sick", "before my holiday").
_NOT_NOW = re.compile(
    r"\b(?:back from|returned from|returning from|after|was|were|been|had|last week"
    r"|yesterday|before|zurück aus|nach (?:dem|meinem)|war|vor (?:dem|meinem)|retour de"
    r"|après|étais|avant|vuelta de|después|estuve|estaba|antes|terug van|na mijn|voor mijn)\b",
    re.I,
)
# Someone else as the sentence's subject: the writer is not the one away.
_OTHERS = re.compile(
    r"\b(?:you|you're|youre|he|she|they|he's|she's|they're|du|er|ihr|il|elle|ils|elles|tu"
    r"|vous|él|ella|ellos|usted|hij|zij|jij|jullie)\b",
    re.I,
)
# Or someone named: "Lena is on sick leave", "Rob's out sick".
_NAMED = re.compile(
    r"\b[A-ZÀ-Ý][\w-]+(?:'s|\s+(?:is|ist|est|está|will be|wird|sera|estará))\s+(?:\w+\s+){0,2}$"
)
_THIRD_PERSON = re.compile(
    r"\b(?:he|she|they|he's|she's|they're|er|sie|il|elle|él|ella|hij|zij|ze)\b", re.I
)
# The writer as the subject, in the languages of `_AWAY` (not "my": "my team is off").
_FIRST_PERSON = re.compile(
    r"(?:^|\W)(?:i|i'm|im|i am|i'll|i will|i’m|i’ll|ich|bin|je|j'|j’|suis|serai|yo|estoy"
    r"|estaré|estare|ik|ben|eu|estou|estarei|vou|io|sono|sarò|saro)(?:\W|$)",
    re.I,
)
_BARE_ILLNESS = re.compile(r"sick|unwell|ill|krank|malade|enferm[oa]|ziek|doente|malat[oa]", re.I)
# ... which counts in a check-in said of the writer, a verb "to be" right before it, and a
# few words at most ("I'm sick until Friday", "I'm still a bit ill", "ich bin bis Freitag
# krank"), none of them a subject of its own ("I'm sure the build is sick").
_I_AM = (
    r"(?:^|[^\w'’])(?:i'm|i’m|im|i am|i'll be|i’ll be|i will be|ill be|ich bin|bin|je suis"
    r"|je serai|suis|estoy|estaré|estare|ik ben|ben|estou|sono|sarò|saro)\s+"
)
_I_AM_ILL = re.compile(
    _I_AM + r"(?:(?!(?:it|it's|its|the|this|that|is|are|our|my|we|was)\b)[\w'’]+\s+){0,3}$",
    re.I,
)
_NOT_ILLNESS_AFTER = re.compile(r"\s+(?:of|and tired|to death)\b", re.I)
# "off on Friday", "out Friday", "away Mon-Wed": said of many things ("the release is out
# Friday", "we sign off on Friday"), so only of the writer, a verb "to be" right before
# it ("I'm out Friday", "I'll be off on the 14th"), or opening the sentence ("Off Friday.").
_OFF_A_DAY = re.compile(r"(?:off|out|away) (?:on|(?:this |next )?" + _ENGLISH_DAY + ")", re.I)
_I_AM_OFF = re.compile(_I_AM + r"(?:\w+\s+)?$", re.I)
_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+")
_MAX_WORDS = 80  # a note; a long message that mentions a holiday is about something else


def says_away(text: str, *, about: str | None = None) -> bool:
    """Whether `text` says its writer is away now or soon, or, with `about` (a first
    name), that this other person is: named, or referred to as he/she/they."""
    if len(text.split()) > _MAX_WORDS:
        return False
    for sentence in _SENTENCES.split(text):
        for found in _AWAY.finditer(sentence):
            before = sentence[: found.start()]
            if _NOT_NOW.search(before):
                continue
            if _BARE_ILLNESS.fullmatch(found.group()) and _not_illness(sentence, found, before):
                continue
            if about is not None:
                if _names(before, about):
                    return True
            elif _OFF_A_DAY.fullmatch(found.group()):
                if _I_AM_OFF.search(before) or _opens(before):
                    return True
            elif not (_OTHERS.search(before) or _NAMED.search(before)):
                return True
    return False


def absence_sentences(text: str) -> list[str]:
    """The sentences of a longer message (a whole check-in) in which its writer says they
    are away now or will be ("I'm on holiday from the 30th", "I'm away next week"), with
    the rules of `says_away`. Stricter, as a check-in speaks of many people and things:
    the writer must be the subject ("I", "ich", "je"...), or the sentence must open with
    the absence ("Off sick until Friday."); a bare "sick" or "ill" only right after "I'm"
    ("I'm sick until Friday"; not "Ill send the numbers", "the build is sick", "I'm sick
    of waiting"), and "off"/"out" before a day only after "I'm" or opening the sentence
    ("I'm out Friday"; not "the release is out Friday", "I'll sign off on Friday")."""
    if not _may_say_away(text) or _AWAY.search(text) is None:
        return []  # most check-ins: one search, not one per sentence
    found = []
    for sentence in _SENTENCES.split(text):
        for match in _AWAY.finditer(sentence):
            before = sentence[: match.start()]
            if _NOT_NOW.search(before) or _OTHERS.search(before) or _NAMED.search(before):
                continue
            if _BARE_ILLNESS.fullmatch(match.group()):
                said = _I_AM_ILL.search(before) and not _not_illness(sentence, match, before)
            elif _OFF_A_DAY.fullmatch(match.group()):
                said = _I_AM_OFF.search(before) or _opens(before)
            else:
                said = _FIRST_PERSON.search(before) or _opens(before)
            if said:
                found.append(sentence.strip())
                break
    return found


def _not_illness(sentence: str, found: re.Match[str], before: str) -> bool:
    """A bare illness word that says nothing of health: "sick of waiting", "sick and
    tired", or "Ill send it" ("I'll" without its apostrophe)."""
    if _NOT_ILLNESS_AFTER.match(sentence, found.end()):
        return True
    return found.group().lower() == "ill" and _opens(before)


def _opens(before: str) -> bool:
    """Whether an absence opens its sentence ("Off sick until Friday.", "- OOO Fri")."""
    return not before.strip(" \t-*>•:")


def _may_say_away(text: str) -> bool:
    """False when `_AWAY` cannot match `text`: it holds none of the words every match holds.

    A few times cheaper than the search, which, case-insensitive, is tried at every
    position of the text; and nearly every check-in holds none of them. The words are
    those of the lowered text: lowering maps each character to one character of the same
    kind (word or not) and makes a case-insensitive match plain equality, but for one it
    makes longer ("İ") and a dotless "ı" or a long "ſ", which `re.IGNORECASE` matches with
    "i" and "s": then there is no shortcut.
    """
    lowered = text.lower()
    if len(lowered) != len(text) or "ı" in text or "ſ" in text:
        return True
    words = set(_WORD.findall(lowered))
    if not words.isdisjoint(_AWAY_WORDS):
        return True
    if words.isdisjoint(_GOING):
        return False
    return not words.isdisjoint(_WHEN) or any(_DAY_OF_MONTH.fullmatch(word) for word in words)


def _names(before: str, first_name: str) -> bool:
    if _THIRD_PERSON.search(before):
        return True
    name = first_name.strip()
    return bool(name) and re.search(rf"\b{re.escape(name)}\b", before, re.I) is not None
