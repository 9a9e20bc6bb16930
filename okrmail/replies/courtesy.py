"""The courtesies around a reply: greetings, sign-offs, names, "my answers are below".

They are kept with the reply (nothing a person writes is thrown away) but say nothing a
manager needs to read. `without_courtesies` is what is left of a note once the ones that
open and close it are gone (empty when that is all it was), in the languages of our
users' mail clients.
"""

from __future__ import annotations

import re

# Closing words ("Grüße", "Saludos", ...) and up to 20 characters after them: a line
# that is only this closes a reply (answers.py splits it off the last answer).
SIGN_OFF = re.compile(
    r"^\s*(?:thanks|thank you|many thanks|thx|cheers|best|regards|kind regards|best regards|"
    r"br|all the best|talk soon|see you|grüße|gruß|viele grüße|lg|merci|cordialement|"
    r"saludos|un saludo|groet(?:en)?|met vriendelijke groet|mvh|hilsen|hälsningar|"
    r"obrigad[oa]|ciao|grazie|pozdrawiam|kiitos|с уважением|спасибо)\b[\s\w,.!]{0,20}$",
    re.I,
)
# An opening line: a greeting and at most a name or two ("Hi Sam,", "Hallo zusammen!").
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon)|hallo|liebe[rs]?|moin|servus|"
    r"bonjour|salut|coucou|hola|buenos días|buenas|ciao|salve|hoi|beste|goedemorgen|"
    r"hej|hei|moi|olá|oi|cześć|dzień dobry|привет|здравствуйте|добрый день)\b"
    r"[\s\w.-]{0,30}[,!:]?\s*$",
    re.I,
)
# "Answers inline", "see below", "meine Antworten stehen unten": the answers are elsewhere.
# Both a place and a word for answers or seeing ("the dashboard is below target" is news).
_PLACE = re.compile(
    r"\b(?:inline|in-line|below|in (?:red|blue|green|bold|colou?r)|interspersed|unten|"
    r"ci-dessous|plus bas|abajo|sotto|hieronder|nedan|nedenfor|nedenunder|poniżej|ниже)\b",
    re.I,
)
_ANSWERS_OR_SEE = re.compile(
    r"\b(?:answers?|replies|repl(?:y|ied)|comments|see|antwort(?:en)?|siehe|réponses?|voir|"
    r"respuestas?|ver|rispost[ae]|vedi|antwoord(?:en)?|zie|svar(?:en)?|se|odpowied\w*|"
    r"zobacz|ответы?|см)\b",
    re.I,
)
_MAX_POINTER_WORDS = 15


def is_name(text: str) -> bool:
    """ "Dana", "/Erik", "Dana Reyes", "Алексей": a short line of capitalised words."""
    words = text.strip(" \t/-–—~").split()
    return 1 <= len(words) <= 3 and all(
        word[:1].isupper() and word.replace("-", "").replace(".", "").isalpha() for word in words
    )


def is_courtesy(line: str) -> bool:
    """A line that is only a greeting, a sign-off, a name, or a pointer to the answers."""
    return bool(_GREETING.match(line) or SIGN_OFF.match(line) or is_name(line) or _is_pointer(line))


def _is_pointer(line: str) -> bool:
    return bool(
        len(line.split()) <= _MAX_POINTER_WORDS
        and _PLACE.search(line)
        and _ANSWERS_OR_SEE.search(line)
    )


def without_courtesies(text: str) -> str:
    """`text` without the blank and courtesy lines that open and close it ("Hi Sam," ...
    "Thanks,\nDana"); "" when nothing else is left."""
    lines = text.splitlines()
    first = next((n for n, line in enumerate(lines) if _says_something(line)), len(lines))
    last = next((n for n in range(len(lines) - 1, first - 1, -1) if _says_something(lines[n])), -1)
    return "\n".join(lines[first : last + 1])


def _says_something(line: str) -> bool:
    return bool(line.strip()) and not is_courtesy(line)
