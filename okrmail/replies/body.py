"""From a raw inbound message to the plain text of its body.

Replies come from every mail client there is, so this module assumes nothing: headers
may be malformed, the declared charset may be unknown or wrong, an 8-bit body may come
without any Content-Type, and some clients send HTML only. Both entry points never raise;
what went wrong with a charset is reported in `ReplyBody.charset_problem` instead.

The text/plain part is preferred (it is what the person's client meant as text). For an
HTML-only message the quoted history is removed from the HTML first, where the client
still marks it (Gmail's gmail_quote, Outlook's divRplyFwdMsg, Apple's blockquote
type=cite, ...), because after conversion to text the quote carries no ">" marks.
"""

from __future__ import annotations

import codecs
import copy
import email
import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import Message

import lxml.etree
from inscriptis import Inscriptis
from inscriptis.css_profiles import STRICT_CSS_PROFILE
from inscriptis.model.config import ParserConfig


@dataclass(frozen=True)
class ReplyBody:
    text: str  # the best plain-text rendering of the body (full, quotes included)
    from_html: bool  # True when it came from an HTML-only message
    charset_problem: str | None  # set when a charset was unknown/wrong and we fell back


# -- parsing --------------------------------------------------------------------------------


def parse_message(raw: bytes) -> Message:
    """The message's MIME structure, parsed leniently; never raises.

    The stdlib parser runs with the compat32 policy: it keeps header values as the raw
    strings they were, which is all this package reads (`inbound.headers` decodes the few
    it needs and never trusts them). policy.default would build a header object for
    every header the parser touches, which costs more than the rest of ingest together
    (0.6 ms of a 1 ms budget per message) and can raise on hostile input when a header
    is first read. Defects are recorded on the message, not raised.
    """
    try:
        return email.message_from_bytes(raw, policy=policy.compat32)
    except Exception:  # not even that: an empty message carrying the raw bytes as text
        message = Message()
        message.set_payload(bytes(raw).decode("latin-1"))
        return message


# -- choosing the body part -----------------------------------------------------------------


def extract_body(message: Message) -> ReplyBody:
    """The reply's text: the text/plain part(s), else the HTML part converted to text."""
    try:
        return _extract(message)
    except Exception:  # a structure we cannot walk: fall back to the raw payload as text
        return ReplyBody(_raw_payload(message), False, "could not read the message structure")


def _raw_payload(message: Message) -> str:
    try:
        payload = message.get_payload(decode=False)
    except Exception:  # nothing more can be done; the raw message is stored anyway
        return ""
    return payload if isinstance(payload, str) else ""


def _extract(message: Message) -> ReplyBody:
    plain, html = [], []
    for leaf in _body_parts(message):
        (plain if leaf.content_type == "text/plain" else html).append(leaf)
    decoded = [_decode_part(leaf, plain=True) for leaf in plain]
    text = "\n".join(text for text, _ in decoded)
    if text.strip() or not html:
        problem = next((problem for _, problem in decoded if problem), None)
        return ReplyBody(_normalise(text), False, problem)
    markup, problem = _decode_part(html[0], plain=False)
    return ReplyBody(html_to_text(markup), True, problem)


# A parameter's value as `Message.get_param` returns it: a string, or (charset, language,
# value) when RFC 2231-encoded.
_ParamValue = str | tuple[str | None, str | None, str]
_UNPARSED: list[tuple[str, _ParamValue]] = []  # a marker: compared by identity only


class _TextPart:
    """A text/plain or text/html leaf, each of its parameter headers parsed at most once.

    compat32 re-parses Content-Type on every `get_param`, `get_content_charset` and
    `get_filename` (three to four times per text/plain part). Here each header goes
    through `Message.get_params` once and is read with the same rules as those methods
    (see `_param`). Parsing stays lazy, header by header, exactly where the Message
    methods parsed: a parameter list the stdlib cannot parse (it raises on some malformed
    RFC 2231 continuations) makes `extract_body` fall back just as it did before.
    """

    __slots__ = ("_disposition_params", "_type_params", "content_type", "part")

    def __init__(self, part: Message, content_type: str) -> None:
        self.part = part
        self.content_type = content_type
        self._type_params = _UNPARSED
        self._disposition_params = _UNPARSED

    def type_param(self, name: str) -> _ParamValue | None:
        """`part.get_param(name)`: a Content-Type parameter, None when absent."""
        if self._type_params is _UNPARSED:
            self._type_params = self.part.get_params()
        return _param(self._type_params, name)

    def disposition_param(self, name: str) -> _ParamValue | None:
        """`part.get_param(name, header="content-disposition")`."""
        if self._disposition_params is _UNPARSED:
            self._disposition_params = self.part.get_params(header="content-disposition")
        return _param(self._disposition_params, name)

    def charset(self) -> str | None:
        """`part.get_content_charset()`, step by step."""
        charset = self.type_param("charset")
        if charset is None:
            return None
        if isinstance(charset, tuple):  # RFC 2231: decode it, falling back to the raw text
            try:
                charset = str(charset[2].encode("raw-unicode-escape"), charset[0] or "us-ascii")
            except (LookupError, UnicodeError):
                charset = charset[2]
        if not charset.isascii():  # the stdlib returns its failobj for non-ASCII names
            return None
        return charset.lower()

    def filename(self) -> str | None:
        """`part.get_filename()`: Content-Disposition's filename, else Content-Type's name."""
        filename = self.disposition_param("filename")
        if filename is None:
            filename = self.type_param("name")
        if filename is None:
            return None
        return email.utils.collapse_rfc2231_value(filename).strip()


def _param(params: list[tuple[str, _ParamValue]] | None, name: str) -> _ParamValue | None:
    """What `get_param` returns from `get_params`' list: the first value whose key matches
    case-insensitively; None when the header or the parameter is missing (a present
    parameter's value is never None, only a string or a tuple)."""
    for key, value in params or ():
        if key.lower() == name:
            return value
    return None


def _body_parts(part: Message) -> Iterator[_TextPart]:
    """Inline text/plain and text/html leaves, in order; attachments and attached emails
    (message/rfc822, e.g. the original prompt attached by Outlook) are skipped."""
    content_type = part.get_content_type()
    if content_type.startswith("message/"):
        return
    if part.is_multipart():
        for sub in part.get_payload():  # type: ignore[union-attr]
            yield from _body_parts(sub)
        return
    if content_type in ("text/plain", "text/html"):
        leaf = _TextPart(part, content_type)
        if not _is_attachment(leaf):
            yield leaf


def _is_attachment(leaf: _TextPart) -> bool:
    return leaf.part.get_content_disposition() == "attachment" or bool(leaf.filename())


# -- charsets -------------------------------------------------------------------------------

# The WHATWG Encoding Standard reads these labels as windows-1252, as browsers do: mail
# declared "iso-8859-1" very often holds Windows "smart quotes" (0x91-0x94).
_READ_AS_CP1252 = {"us-ascii", "ascii", "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1"}


def _decode_part(leaf: _TextPart, *, plain: bool) -> tuple[str, str | None]:
    """The part's text; `plain`: a text/plain part, which may be format=flowed."""
    payload = leaf.part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    text, problem = decode_bytes(data, leaf.charset())
    if plain and leaf.type_param("format") == "flowed":
        delsp = str(leaf.type_param("delsp") or "").lower() == "yes"
        text = unflow(text.replace("\r\n", "\n"), delsp=delsp)
    return text, problem


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """Text of a body: the declared charset, then UTF-8, then windows-1252, then latin-1.

    Returns (text, problem); problem says what was wrong when the declared charset was
    missing on 8-bit data, unknown, or did not fit the bytes.
    """
    if data.isascii():
        return data.decode("ascii"), None
    problem = None
    codec = _codec(declared)
    if declared and codec is None:
        problem = f"unknown charset {declared!r}"
    elif codec and codec != "utf-8" and _is_utf8(data):
        # Real text in a legacy charset is almost never valid UTF-8; a mislabel is common.
        return data.decode("utf-8"), f"declared {declared} but the body is UTF-8"
    elif codec:
        try:
            return data.decode(codec).lstrip("\ufeff"), None
        except UnicodeDecodeError:
            problem = f"the body is not valid {declared}"
    else:
        problem = "no charset declared for 8-bit text"
    for fallback in ("utf-8", "cp1252"):
        try:
            return data.decode(fallback).lstrip("\ufeff"), f"{problem}; read as {fallback}"
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), f"{problem}; read as latin-1"


def _codec(declared: str | None) -> str | None:
    """Python's codec for a declared charset, None when there is none or it is unknown."""
    if not declared:
        return None
    label = declared.strip().strip("\"'").lower()
    if label in _READ_AS_CP1252:
        return "cp1252"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "utf-8" if name in ("utf-8", "utf-8-sig") else name


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# -- text -----------------------------------------------------------------------------------

_QUOTE_MARKS = re.compile(r"^>+")
_BLANK_RUNS = re.compile(r"\n{3,}")


def unflow(text: str, *, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed: a line ending in a space continues on the next one
    (at the same quote depth), so wrapped paragraphs and quoted questions come back whole."""
    out: list[str] = []
    current: str | None = None
    depth = 0
    for line in text.split("\n"):
        marks = _QUOTE_MARKS.match(line)
        line_depth = len(marks[0]) if marks else 0
        content = line[line_depth:]
        content = content[1:] if content.startswith(" ") else content  # space-stuffing
        if current is not None and line_depth == depth:
            current += content
        else:
            if current is not None:
                out.append(_requote(current, depth))
            current, depth = content, line_depth
        if content.endswith(" ") and content != "-- ":
            current = current[:-1] if delsp else current
            continue
        out.append(_requote(current, depth))
        current = None
    if current is not None:
        out.append(_requote(current, depth))
    return "\n".join(out)


def _requote(content: str, depth: int) -> str:
    return f"{'>' * depth} {content}" if depth else content


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# -- HTML -----------------------------------------------------------------------------------


def _class_is(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# Containers that hold the quoted history, by client. One path per element name, its
# clients' tests joined with "or": libxml2 then walks the document once per name, not once
# per client (the same nodes, in document order, as a union of one path per client).
_QUOTE_CONTAINERS = lxml.etree.XPath(
    "//div[@class]["  # without a class attribute, no class test can match
    + " or ".join(
        (
            _class_is("gmail_quote"),  # Gmail: attribution + blockquote
            _class_is("moz-cite-prefix"),  # Thunderbird's attribution
            _class_is("yahoo_quoted"),  # Yahoo
        )
    )
    + "] | //blockquote["
    + " or ".join(
        (
            _class_is("gmail_quote"),
            "@type='cite'",  # Apple Mail, Thunderbird
        )
    )
    + "]"
)
# Markers after which everything is the quoted message (Outlook does not wrap it).
_QUOTE_STARTS = lxml.etree.XPath(
    "//div["
    + " or ".join(
        (
            "@id='divRplyFwdMsg'",  # Outlook on the web / new Outlook
            "@id='appendonsend'",
            # Outlook desktop: the "From:/Sent:" header sits in a div with a top border.
            "@style[contains(translate(., 'ABCDEF ', 'abcdef'), 'border-top:solid#e1e1e1')]",
            "@style[contains(translate(., 'ABCDEF ', 'abcdef'), 'border-top:solid#b5c4df')]",
        )
    )
    + "]"
)
# "See my answers below in blue", "answers inline": the answers are inside the quote.
_POINTS_INLINE = re.compile(
    r"\b(?:inline|in-line|below|in (?:red|blue|green|bold|colou?r)|interspersed)\b", re.I
)
_MAX_POINTER_WORDS = 15
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_CONFIG = ParserConfig(css=STRICT_CSS_PROFILE, display_links=False, display_images=False)
# The parser lxml.html uses, without its element classes: the same tree, but lxml.html
# calls a Python class lookup for every element object it creates, and inscriptis creates
# one per element it walks (about 7% of html_to_text). Nothing here needs HtmlElement's
# methods (see _text and _drop_tree).
_HTML_PARSER = lxml.etree.HTMLParser()
_text = lxml.etree.XPath("string()", smart_strings=False)  # HtmlElement.text_content


def html_to_text(markup: str) -> str:
    """Plain text of an HTML body, with the quoted history removed when the person wrote
    something outside it. If not, or if all they wrote outside is "see my answers below",
    they answered inline inside the quote: keep it."""
    markup = _XML_DECLARATION.sub("", markup)  # lxml refuses str input that declares one
    if not markup.strip():
        return ""
    try:
        tree = _parse_html(markup)
    except (lxml.etree.ParserError, ValueError):
        return _normalise(re.sub(r"<[^>]+>", " ", markup))
    without = _without_quotes(tree)
    if without is not None and _wrote_outside(_text(without)):
        tree = without
    text = Inscriptis(tree, _CONFIG).get_text()
    lines = [line.rstrip() for line in _normalise(text).split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")


def _wrote_outside(text: str) -> bool:
    words = text.split()
    pointer = len(words) <= _MAX_POINTER_WORDS and _POINTS_INLINE.search(text)
    return bool(words) and not pointer


def _parse_html(markup: str) -> lxml.etree._Element:
    """`lxml.html.document_fromstring(markup)` with plain lxml elements."""
    tree = lxml.etree.fromstring(markup, _HTML_PARSER)
    if tree is None:
        raise lxml.etree.ParserError("Document is empty")
    return tree


def _without_quotes(tree: lxml.etree._Element) -> lxml.etree._Element | None:
    """A copy of the tree without quote containers; None when it has none."""
    copied = copy.deepcopy(tree)
    containers = _QUOTE_CONTAINERS(copied)
    starts = _QUOTE_STARTS(copied)
    if not containers and not starts:
        return None
    for start in starts:
        if start.getparent() is not None:
            _cut_from(start)
    for container in containers:
        if container.getparent() is not None:
            _drop_tree(container)  # keeps the text that follows the container
    return copied


def _cut_from(element: lxml.etree._Element) -> None:
    """Remove an element and everything after it in document order."""
    node = element
    while node.getparent() is not None and node.tag != "body":
        parent = node.getparent()
        for sibling in list(node.itersiblings()):
            parent.remove(sibling)
        node.tail = None
        node = parent
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def _drop_tree(element: lxml.etree._Element) -> None:
    """`HtmlElement.drop_tree`: remove an element and its content, keeping the text that
    follows it (joined to the previous sibling's tail, or the parent's text). The element
    has a parent (callers check)."""
    parent = element.getparent()
    if element.tail:
        previous = element.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + element.tail
        else:
            previous.tail = (previous.tail or "") + element.tail
    parent.remove(element)
