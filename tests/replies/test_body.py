"""From raw bytes to the reply's text: charsets, MIME structure, HTML-only mail."""

from __future__ import annotations

import base64
from email import policy

from hypothesis import given, settings
from hypothesis import strategies as st

from okrmail.replies.body import decode_bytes, extract_body, html_to_text, parse_message, unflow


def body_of(raw: bytes) -> tuple[str, bool, str | None]:
    body = extract_body(parse_message(raw))
    return body.text, body.from_html, body.charset_problem


# -- charsets -------------------------------------------------------------------------------


def test_declared_charset_is_used() -> None:
    raw = b'Content-Type: text/plain; charset="koi8-r"\n\n' + "Привет".encode("koi8-r")
    assert body_of(raw) == ("Привет", False, None)


def test_a_wrong_charset_label_on_utf8_bytes_is_noticed() -> None:
    raw = b'Content-Type: text/plain; charset="iso-8859-1"\n\n' + "KR1 déjà 38/45".encode()
    text, _, problem = body_of(raw)
    assert text == "KR1 déjà 38/45"
    assert problem == "declared iso-8859-1 but the body is UTF-8"


def test_an_unknown_charset_falls_back_to_utf8_then_windows_1252() -> None:
    utf8 = b'Content-Type: text/plain; charset="x-klingon"\n\n' + "Grüße".encode()
    assert body_of(utf8) == ("Grüße", False, "unknown charset 'x-klingon'; read as utf-8")
    cp1252 = b'Content-Type: text/plain; charset="x-klingon"\n\n' + "Grüße".encode("cp1252")
    assert body_of(cp1252) == ("Grüße", False, "unknown charset 'x-klingon'; read as cp1252")


def test_latin1_labels_are_read_as_windows_1252_like_browsers_do() -> None:
    raw = b'Content-Type: text/plain; charset="iso-8859-1"\n\n\x93done\x94 \x96 caf\xe9'
    assert body_of(raw) == ("\u201cdone\u201d \u2013 café", False, None)


def test_bytes_that_fit_no_charset_still_become_text() -> None:
    text, problem = decode_bytes(b"caf\xe9 \x81\x8d", "utf-8")
    assert text == "café \x81\x8d"  # latin-1: every byte is something
    assert problem == "the body is not valid utf-8; read as latin-1"


def test_an_8bit_body_without_content_type() -> None:
    raw = b"From: dana@example.com\nSubject: Re: check-in\n\n"
    raw += "1. KR1 38/45 – déjà\n".encode()
    text, from_html, problem = body_of(raw)
    assert text == "1. KR1 38/45 – déjà\n"
    assert not from_html
    assert problem == "no charset declared for 8-bit text; read as utf-8"


def test_an_ascii_body_has_no_problem() -> None:
    assert body_of(b"Subject: x\n\nKR1 38/45\n") == ("KR1 38/45\n", False, None)


# -- transfer encodings and structure -------------------------------------------------------


def test_quoted_printable_and_base64_bodies() -> None:
    qp = (
        b"Content-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n"
        b"KR1 =E2=80=93 38/45, a long line that was soft=\n-wrapped\n"
    )
    assert body_of(qp)[0] == "KR1 – 38/45, a long line that was soft-wrapped\n"
    encoded = base64.encodebytes("KR2 60 % – fertig".encode())
    b64 = b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
    assert body_of(b64 + encoded)[0] == "KR2 60 % – fertig"


def test_crlf_line_endings_are_normalised() -> None:
    raw = b"Content-Type: text/plain\r\n\r\n1. KR1 38/45\r\n2. none\r\n"
    assert body_of(raw)[0] == "1. KR1 38/45\n2. none\n"


def test_the_plain_part_of_an_alternative_is_preferred() -> None:
    raw = b"""Content-Type: multipart/alternative; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

plain answer
--b
Content-Type: text/html; charset=utf-8

<div>html answer</div>
--b--
"""
    assert body_of(raw) == ("plain answer", False, None)


def test_nested_multiparts_attachments_and_attached_emails_are_skipped() -> None:
    raw = b"""Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: text/plain; name="notes.txt"
Content-Disposition: attachment; filename="notes.txt"

not the answer
--outer
Content-Type: multipart/related; boundary="related"

--related
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

1. KR1 38/45
--alt
Content-Type: text/html; charset=utf-8

<p>1. KR1 38/45</p>
--alt--
--related
Content-Type: image/png
Content-Disposition: inline; filename="logo.png"

iVBORw0KGgo=
--related--
--outer
Content-Type: message/rfc822

Subject: the prompt we sent

quoted prompt, attached by Outlook
--outer--
"""
    assert body_of(raw) == ("1. KR1 38/45", False, None)


def test_an_empty_plain_part_gives_way_to_html() -> None:
    raw = b"""Content-Type: multipart/alternative; boundary="b"

--b
Content-Type: text/plain; charset=utf-8


--b
Content-Type: text/html; charset=utf-8

<p>KR1 done</p>
--b--
"""
    assert body_of(raw) == ("KR1 done", True, None)


def test_format_flowed_lines_are_joined() -> None:
    raw = (
        b"Content-Type: text/plain; charset=utf-8; format=flowed\n\n"
        b"KR1 is at 38 of 45, up from \nthirty-four.\n"
        b"> 1. What progress have you made on \n> each key result?\n"
        b"-- \nDana\n"
    )
    assert body_of(raw)[0] == (
        "KR1 is at 38 of 45, up from thirty-four.\n"
        "> 1. What progress have you made on each key result?\n-- \nDana\n"
    )


def test_delsp_removes_the_space_of_a_soft_break() -> None:
    assert unflow("long wo \nrd\n", delsp=True) == "long word\n"


# -- HTML -----------------------------------------------------------------------------------

GMAIL_TOP_POSTED = """<div dir="ltr">1. KR1 38/45<br>2. Blocked on legal</div><br>
<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, 16 Nov 2026 at 09:00,
okrmail &lt;checkins@okr.example.com&gt; wrote:<br></div>
<blockquote class="gmail_quote"><p>Hi Dana,</p><ol><li>What progress have you made?</li></ol>
</blockquote></div>"""


def test_gmail_quote_is_removed_from_html() -> None:
    assert html_to_text(GMAIL_TOP_POSTED) == "1. KR1 38/45\n2. Blocked on legal"


def test_html_only_message() -> None:
    raw = (
        b"Content-Type: text/html; charset=utf-8\n"
        b"Content-Transfer-Encoding: 8bit\n\n" + GMAIL_TOP_POSTED.encode()
    )
    assert body_of(raw) == ("1. KR1 38/45\n2. Blocked on legal", True, None)


def test_answers_written_inside_the_quote_are_kept() -> None:
    inline = """<div class="gmail_quote"><blockquote class="gmail_quote">
1. What progress have you made?</blockquote><div>KR1 38/45</div>
<blockquote class="gmail_quote">2. What is behind schedule?</blockquote><div>nothing</div></div>"""
    text = html_to_text(inline)
    assert "What progress have you made?" in text
    assert "KR1 38/45" in text
    assert "nothing" in text


def test_a_pointer_to_inline_answers_keeps_the_quote() -> None:
    html = """<p>See my answers below in blue.</p>
<div id="divRplyFwdMsg"><b>From:</b> okrmail</div>
<ol><li>What progress have you made?<div style="color:#0070C0">KR1 38/45</div></li></ol>"""
    text = html_to_text(html)
    assert "What progress have you made?" in text
    assert "KR1 38/45" in text


def test_outlook_web_history_is_cut_from_its_marker_on() -> None:
    html = """<div>KR1 done</div><div id="appendonsend"></div><hr>
<div id="divRplyFwdMsg"><b>From:</b> okrmail<br><b>Sent:</b> Monday</div>
<div>Hi Dana, what progress have you made?</div>"""
    assert html_to_text(html) == "KR1 done"


def test_outlook_desktop_history_is_cut_at_the_bordered_header() -> None:
    html = """<div class=WordSection1><p class=MsoNormal>KR2 60%<o:p></o:p></p>
<div><div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'>
<p class=MsoNormal><b>From:</b> okrmail<br><b>Sent:</b> Monday</p></div></div>
<p class=MsoNormal>Hi Dana,</p><p class=MsoNormal>What progress have you made?</p></div>"""
    assert html_to_text(html) == "KR2 60%"


def test_apple_thunderbird_and_yahoo_quotes_are_removed() -> None:
    apple = '<div>KR1 38/45</div><blockquote type="cite">On 16 Nov, okrmail wrote: Hi</blockquote>'
    thunderbird = (
        '<p>KR1 38/45</p><div class="moz-cite-prefix">On 16/11/2026 09:00, okrmail wrote:</div>'
        '<blockquote type="cite">Hi</blockquote>'
    )
    yahoo = (
        '<div>KR1 38/45</div><div class="yahoo_quoted"><div>On Monday, okrmail wrote:</div></div>'
    )
    assert html_to_text(apple) == html_to_text(thunderbird) == html_to_text(yahoo) == "KR1 38/45"


def test_odd_html_never_raises() -> None:
    assert html_to_text("") == ""
    assert html_to_text('<?xml version="1.0" encoding="utf-8"?><p>KR1 done</p>') == "KR1 done"
    assert html_to_text("<<<>>>") is not None


# -- garbage --------------------------------------------------------------------------------


def test_malformed_headers_fall_back_to_the_legacy_policy() -> None:
    message = parse_message(b"From: <\nTo: a:<\n\nKR1 38/45")
    assert message.policy is policy.compat32
    assert body_of(b"From: <\n\nKR1 38/45") == ("KR1 38/45", False, None)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_garbage_bytes_never_raise(raw: bytes) -> None:
    body = extract_body(parse_message(raw))
    assert isinstance(body.text, str)


_MIME_SCRAPS = [
    b"Content-Type: multipart/mixed; boundary=x\n",
    b"Content-Type: text/html; charset=utf-8\n",
    b"Content-Type: text/plain; charset=klingon; format=flowed\n",
    b"Content-Transfer-Encoding: base64\n",
    b"Content-Transfer-Encoding: quoted-printable\n",
    b"Content-Disposition: attachment\n",
    b"Content-Type: message/rfc822\n",
    b"From: <\n",
    b"\n",
    b"--x\n",
    b"--x--\n",
    b"<div class=gmail_quote>quoted</div>",
    b"<div id=divRplyFwdMsg>",
    b"=C3=A9=\n",
    b"aGVsbG8=\n",
    b"\xff\xfe\x00",
    b"> quoted \n",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_MIME_SCRAPS), max_size=25).map(b"".join))
def test_broken_mime_never_raises(raw: bytes) -> None:
    body = extract_body(parse_message(raw))
    assert isinstance(body.text, str)
