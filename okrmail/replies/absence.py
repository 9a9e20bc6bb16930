"""Notes that say someone is away: "I'm on holiday this week, can we skip this one?", or a
manager in the report's thread: "Lena is on sick leave, let's skip this one".

A person who writes this will not answer; reminders would only pester them. Written by a
human, not a robot (robots.py reads auto-replies), so it is read sentence by sentence: the
absence must be now or to come ("back from holiday" and "I was sick" are news, not
absence), and it must be said of the right person.
"""

from __future__ import annotations

import re

# Being away, now or soon, in the words people use in a note (not an auto-reply's).
_AWAY = re.compile(
    r"\bon (?:a |my |her |his |their )?(?:holidays?|vacation|leave|pto|sick leave|annual leave"
    r"|parental leave|maternity leave|paternity leave|medical leave|sabbatical)\b"
    r"|\b(?:off|out) sick\b|\b(?:sick|unwell)\b|\bill\b(?!-)"
    r"|\b(?:off|out|away) (?:today|tomorrow|this week|next week|all week|until|till|through"
    r"|from|on)\b|\bout of (?:the )?office\b|\booo\b"
    r"|\bim urlaub\b|\bin urlaub\b|\bkrank(?:geschrieben)?\b|\bin elternzeit\b"
    r"|\bnicht im büro\b|\babwesend\b"
    r"|\ben (?:congés?|vacances|arrêt maladie)\b|\bmalade\b|\babsente?\b"
    r"|\bde (?:vacaciones|baja|permiso)\b|\benferm[oa]\b|\bfuera de la oficina\b"
    r"|\b(?:op|met) vakantie\b|\bziek\b|\bmet verlof\b|\bafwezig\b"
    r"|\bde (?:férias|licença)\b|\bdoente\b|\bin (?:ferie|vacanza)\b|\bmalat[oa]\b",
    re.I,
)
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
            if about is None and not (_OTHERS.search(before) or _NAMED.search(before)):
                return True
            if about is not None and _names(before, about):
                return True
    return False


def absence_sentences(text: str) -> list[str]:
    """The sentences of a longer message (a whole check-in) in which its writer says they
    are away now or will be ("I'm on holiday from the 30th", "I'm away next week"), with
    the rules of `says_away`. Stricter, as a check-in speaks of many people and things:
    the writer must be the subject ("I", "ich", "je"...), or the sentence must open with
    the absence ("Off sick until Friday."), and a bare "sick" or "ill" is not enough ("Ill
    send the numbers", "the build is sick")."""
    if _AWAY.search(text) is None:
        return []  # most check-ins: one search, not one per sentence
    found = []
    for sentence in _SENTENCES.split(text):
        for match in _AWAY.finditer(sentence):
            before = sentence[: match.start()]
            if _NOT_NOW.search(before) or _OTHERS.search(before) or _NAMED.search(before):
                continue
            if _BARE_ILLNESS.fullmatch(match.group()):
                continue
            if _FIRST_PERSON.search(before) or not before.strip(" \t-*>•:"):
                found.append(sentence.strip())
                break
    return found


def _names(before: str, first_name: str) -> bool:
    if _THIRD_PERSON.search(before):
        return True
    name = first_name.strip()
    return bool(name) and re.search(rf"\b{re.escape(name)}\b", before, re.I) is not None
