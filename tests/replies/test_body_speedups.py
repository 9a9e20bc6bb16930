"""The shortcuts in okrmail.replies.body give what the stdlib and lxml.html give."""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import partial
from typing import Any

import lxml.etree
import lxml.html
import pytest

from okrmail.replies.body import (
    _QUOTE_CONTAINERS,
    _drop_tree,
    _parse_html,
    _text,
    _TextPart,
    parse_message,
)

CONTENT_TYPES = [
    None,
    "text/plain",
    'text/plain; charset="UTF-8"; format=Flowed; DelSp=YES',
    "text/plain; charset*=utf-8''utf%2D8",
    "text/plain; charset*=bogus''abc",
    "text/plain; charset*0=ut; charset*1=f-8",
    'text/plain; charset=""; charset=latin1',
    "text/plain; charset*=latin-1''%E9",
    "text/plain; NAME=a.txt",
    'text/plain; name*0="a"; name*1="b.txt"',
    "text/plain; name*=utf-8''%C3%A9.txt",
    "text/plain; name*=x; name*0=y",  # the stdlib raises on this one
    "charset=utf-8",
    "text/html; format*=''flowed",
]
DISPOSITIONS = [
    None,
    "inline",
    "attachment",
    'inline; filename=""',
    "inline; FILENAME=A.TXT",
    "inline; filename*0=a; filename*1=b",
    "inline; filename*=x; filename*0=y",
]


def _outcome(read: Callable[[], Any]) -> Any:  # a value, or the type of what it raised
    try:
        return read()
    except Exception as error:
        return type(error)


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@pytest.mark.parametrize("disposition", DISPOSITIONS)
def test_a_part_reads_its_parameters_as_the_stdlib_does(
    content_type: str | None, disposition: str | None
) -> None:
    headers = [f"Content-Type: {content_type}"] if content_type else []
    headers += [f"Content-Disposition: {disposition}"] if disposition else []
    part = parse_message(("\n".join(headers) + "\n\nbody").encode())
    leaf = _TextPart(part, part.get_content_type())
    assert _outcome(leaf.filename) == _outcome(part.get_filename)
    assert _outcome(leaf.charset) == _outcome(part.get_content_charset)
    for name in ("format", "delsp", "charset"):
        assert _outcome(partial(leaf.type_param, name)) == _outcome(partial(part.get_param, name))


MARKUP = (
    "<html><head><title>t</title></head><body><!-- c -->x<div class='gmail_quote'>q</div>"
    "tail &amp; more<blockquote type=cite>a<br>b</blockquote>end<o:p></o:p></body></html>"
)


def test_plain_elements_parse_to_the_same_tree_as_lxml_html() -> None:
    plain, html = _parse_html(MARKUP), lxml.html.document_fromstring(MARKUP)
    assert lxml.etree.tostring(plain) == lxml.etree.tostring(html)
    assert _text(plain) == html.text_content()


def test_drop_tree_is_lxml_htmls() -> None:
    plain, html = _parse_html(MARKUP), lxml.html.document_fromstring(MARKUP)
    for container in _QUOTE_CONTAINERS(plain):
        _drop_tree(container)
    for container in _QUOTE_CONTAINERS(html):
        container.drop_tree()
    assert lxml.etree.tostring(plain) == lxml.etree.tostring(html)
    assert lxml.etree.tostring(copy.deepcopy(plain)) == lxml.etree.tostring(plain)
