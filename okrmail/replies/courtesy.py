"""The courtesies around a reply: greetings, sign-offs, names, "my answers are below".

They are kept with the reply (nothing a person writes is thrown away) but say nothing a
manager needs to read. `without_courtesies` is what is left of a note once the ones that
open and close it are gone (empty when that is all it was), in the languages of our
users' mail clients. `SIGN_OFF` and `is_name` also serve the answer reader, which splits
a closing "Thanks,\nDana" off the last answer.
"""

from __future__ import annotations

import re

_SIGN_OFF_WORDS = (
    r"thanks|thank you|many thanks|thx|cheers|best|regards|kind regards|best regards|"
    r"br|all the best|talk soon|see you|grüße|gruß|viele grüße|lg|merci|cordialement|"
    r"saludos|un saludo|groet(?:en)?|met vriendelijke groet|mvh|hilsen|hälsningar|"
    r"obrigad[oa]|ciao|grazie|pozdrawiam|kiitos|с уважением|спасибо"
)
# Closing words ("Grüße", "Saludos", ...) and up to 20 characters after them: a line
# that is only this closes a reply (answers.py splits it off the last answer).
SIGN_OFF = re.compile(rf"^\s*(?:{_SIGN_OFF_WORDS})\b[\s\w,.!]{{0,20}}$", re.I)
# For a note shown to people, stricter: the closing words and then nothing but a name, or
# a few words every sign-off uses ("Thanks, Rob", "Thanks a lot!"); "Thanks, blocked on
# legal" says something.
_CLOSING = re.compile(
    rf"^\s*(?:{_SIGN_OFF_WORDS})\b[\s,.!]*"
    r"(?:(?:a lot|again|so much|in advance|all|everyone|team)\b[\s,.!]*)?"
    r"(?P<rest>.*?)[\s,.!]*$",
    re.I,
)
_GROUP = r"all|team|everyone|folks|zusammen|alle|tous|todos|equipo|tutti|allemaal|allihop"
_NAME_WORD = r"[^\W\d_][\w.'-]*"
# An opening line: a greeting and a name or two, or a group ("Hi Sam,", "Dear Mia and
# Ana,", "Hallo zusammen!"); more is a sentence that starts with one ("Hey all done").
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon)|hallo|liebe[rs]?|moin|servus|"
    r"bonjour|salut|coucou|hola|buenos días|buenas|ciao|salve|hoi|beste|goedemorgen|"
    r"hej|hei|moi|olá|oi|cześć|dzień dobry|привет|здравствуйте|добрый день)\b"
    rf"(?:\s+(?:{_GROUP})\b|\s+{_NAME_WORD}(?:\s+(?:and|&|und|et|y|e|en|og|och|i)\s+{_NAME_WORD})?)?"
    r"\s*[,!:]?\s*$",
    re.I,
)
# One word alone under a note is its writer's name, unless it is one of these.
_NOT_NAMES = frozenset(
    {
        *("done", "blocked", "ok", "okay", "yes", "no", "none", "nothing", "fine", "good"),
        *("great", "same", "shipped", "launched", "delayed", "late", "sick", "away", "off"),
        *("busy", "later", "soon", "tbd", "wip", "erledigt", "fertig", "fait", "hecho"),
        *("klaar", "klar", "färdig", "gotowe"),
    }
)
# "Answers inline", "see below", "meine Antworten stehen unten": a word for the answers,
# or for seeing, and then where they are ("churn is below 2%, see the dashboard" is news).
_POINTER = re.compile(
    r"\b(?:answers?|replies|repl(?:y|ied)|comments|antwort(?:en)?|réponses?|respuestas?|"
    r"rispost[ae]|antwoord(?:en)?|svar(?:en)?|odpowied\w*|ответы?|see|siehe|voir|ver|vedi|"
    r"zie|se|zobacz|см)\b.{0,40}?\b(?:inline|in-line|below|in (?:red|blue|green|bold|"
    r"colou?r)|interspersed|unten|ci-dessous|plus bas|abajo|sotto|hieronder|nedan|nedenfor|"
    r"nedenunder|poniżej|ниже)\b",
    re.I,
)
_MAX_POINTER_WORDS = 15
# A line that closes a note: a sign-off of a few words ("Best regards,", "Thanks a lot!"),
# not a sentence that starts with one ("Best week in a while.").
_MAX_SIGN_OFF_WORDS = 4
_SENTENCE_END = (".", "!", "?", ":", ";", ",")


def is_name(text: str) -> bool:
    """ "Dana", "/Erik", "Dana Reyes", "Алексей": a short line of capitalised words."""
    words = text.strip(" \t/-–—~").split()
    return 1 <= len(words) <= 3 and all(
        word[:1].isupper() and word.replace("-", "").replace(".", "").isalpha() for word in words
    )


def without_courtesies(text: str) -> str:
    """`text` without the courtesies that open and close it: greetings and pointers to
    the answers at the top; pointers, sign-offs and one closing name at the bottom ("Hi
    Sam," ... "Thanks,\nDana"). "" when nothing else is left. When in doubt a line stays:
    a note shown with a courtesy in it costs a glance, one hidden costs what it said."""
    lines = text.splitlines()
    first = 0
    while first < len(lines) and (not lines[first].strip() or _opens(lines[first])):
        first += 1
    last = len(lines)
    named = False
    while last > first:
        line = lines[last - 1]
        if not line.strip() or _is_pointer(line) or _is_sign_off(line):
            last -= 1
        elif not named and _is_closing_name(lines[first : last - 1], line):
            named, last = True, last - 1
        else:
            break
    return "\n".join(lines[first:last])


def _opens(line: str) -> bool:
    return bool(_GREETING.match(line)) or _is_pointer(line)


def _is_pointer(line: str) -> bool:
    return len(line.split()) <= _MAX_POINTER_WORDS and bool(_POINTER.search(line))


def _is_sign_off(line: str) -> bool:
    closing = _CLOSING.match(line)
    if closing is None or len(line.split()) > _MAX_SIGN_OFF_WORDS:
        return False
    rest = closing["rest"]
    return not rest or is_name(rest)


def _is_closing_name(above: list[str], line: str) -> bool:
    """The writer's name under the note: one word ("Dana", "/Søren"), or a few right under
    a sign-off ("Thanks,\nDana Reyes"); never a sentence ("On Track", "Out Friday.")."""
    if not is_name(line) or line.rstrip().endswith(_SENTENCE_END):
        return False
    if line.strip(" \t/-–—~").lower() in _NOT_NAMES:
        return False
    previous = next((text for text in reversed(above) if text.strip()), "")
    return len(line.split()) == 1 or _is_sign_off(previous)


# A short word that what was recorded is right, and nothing more: "ok", "Got it, thanks.",
# "Looks right!", "Perfect 👍", "Passt, danke". Said in reply to a confirmation, it asks for
# nothing (another confirmation would answer a thank-you with the same email again).
_ACKNOWLEDGEMENT = re.compile(
    r"^(?:[\s,.!]*(?:ok(?:ay)?|k|got it|great|perfect|thanks?|thank you|thx|ty|noted|cool"
    r"|looks (?:right|good|correct|fine)|all (?:good|correct|right)|sounds good|correct"
    r"|yes|yep|yup|super|danke|passt|stimmt|merci|parfait|gracias|perfecto|bedankt|prima"
    r"|klopt|grazie|obrigad[oa]|tack|👍|✅|🙏|🙂|😊)(?!\w))+[\s,.!]*$",
    re.I,
)


def acknowledges_only(text: str) -> bool:
    """Whether `text`, its courtesies aside, only says thanks or that all is right."""
    rest = without_courtesies(text).strip()
    return not rest or bool(_ACKNOWLEDGEMENT.match(rest))


# A promise to answer later, and nothing more: "Will answer tomorrow!", "I'll get back to
# you on Monday", "Answers to follow", "Antworte morgen", "Je réponds demain". No answer
# yet: the check-in stays open and its reminders go on.
# Searched for in each sentence.
_LATER = re.compile(
    r"\b(?:i'?ll|i will|will|going to|gonna|shall)\s+(?:try\s+to\s+)?(?:answer|reply|respond"
    r"|get back|send|fill|do|write|follow up|get to)\b"
    r"|\b(?:answers?|replies|numbers|update|details)\s+(?:to follow|will follow|coming)\b"
    r"|\b(?:antworte|melde mich|schicke|schreibe)\b[^.!?]{0,30}\b(?:morgen|später|nachher"
    r"|heute abend|montag|nächste woche)\b"
    r"|\bje (?:vous |te )?(?:réponds|répondrai|reviens|reviendrai)\b"
    r"|\b(?:respondo|contesto|responderé|contestaré)\b[^.!?]{0,30}\b(?:mañana|luego"
    r"|más tarde)\b"
    r"|\b(?:antwoord|reageer)\b[^.!?]{0,30}\b(?:morgen|later)\b",
    re.I,
)
_MAX_LATER_WORDS = 25


def promises_later(text: str) -> bool:
    """Whether `text`, its courtesies aside, only says an answer will come later: a few
    sentences, one of them the promise ("Sorry, crazy week. Will answer tomorrow!")."""
    rest = without_courtesies(text).strip()
    return (
        0 < len(rest.split()) <= _MAX_LATER_WORDS
        and not any(character.isdigit() for character in rest)
        and any(_LATER.search(sentence) for sentence in _SENTENCES.split(rest))
    )


_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
