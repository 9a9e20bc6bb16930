"""The shortcut in trim's search for wrapped attributions never skips a marker.

`_hallmarks` and `_MARKER_START` are necessary conditions of `_is_marker`: checked here on
every line of the trimmer corpus and the reply corpus, and on every window of up to
`_MAX_WRAPPED_LINES` lines glued together as `_glued_marker_size` glues them.
"""

from __future__ import annotations

from pathlib import Path

from okrmail.replies import trim

CORPORA = Path(__file__).resolve().parent.parent / "corpora"
SAMPLES = [
    "On Mon, Feb 1, 2016 at 6:32 PM, Jeff <jeff@example.com> wrote:",
    "Le 4 janv. 2016 à 10:00, X a écrit :",
    "Am 03.02.2016 um 10:00 schrieb X <x@y.de>:",
    "2016-03-03 17:21 GMT+01:00 Some One",
    "-----Original Message-----",
    "> Begin forwarded message:",
    "BEGİN forwarded message:",
    "Posted by sam on 03/26/2016",
    "codinghorror via Discourse Meta wrote:",
    "2013/7/20 sam via Discourse <info@discourse.org>",
]


def _lines() -> list[list[str]]:
    bodies = [
        path.read_bytes().decode("utf-8", "replace")
        for path in sorted(CORPORA.rglob("*"))
        if path.is_file() and path.suffix != ".json" and path.name != "LICENSE"
    ]
    return [body.replace("\r\n", "\n").split("\n") for body in bodies] + [SAMPLES]


def _glued(lines: list[str]) -> list[str]:
    """Every text `_glued_marker_size` may test, for windows starting on each line."""
    texts = []
    for start in range(len(lines)):
        window = lines[start : start + trim._MAX_WRAPPED_LINES]
        for end in range(1, len(window) + 1):
            texts.append((window[0], trim._glue(window[:end])))
    return texts


def _is_marker(line: str) -> bool:
    """`trim._is_marker` without its shortcut: each kind of marker tested in full."""
    return (
        trim._is_attribution(line)
        or bool("@" in line and trim._DATE_THEN_EMAIL.match(line) and trim._YEAR.search(line))
        or bool(trim._ISO_DATE_GMT.match(line))
        or bool("via" in line and trim._VIA_WROTE.match(line))
        or bool(
            trim._BANNER.match(line)
            or trim._FORWARD_INTRO.match(line)
            or trim._POSTED_BY.match(line)
        )
    )


def test_every_marker_has_a_hallmark_and_starts_like_one() -> None:
    markers = 0
    for lines in _lines():
        for first, text in _glued(lines):
            if not _is_marker(text):
                continue
            markers += 1
            hallmarks = trim._hallmarks(text)
            assert hallmarks, text
            if trim._is_attribution(text) or trim._VIA_WROTE.match(text):
                assert hallmarks == trim._WROTE_HALLMARK, text  # these end with a verb
            else:
                assert trim._MARKER_START.match(first), text
    assert markers > 100


def test_samples_are_markers() -> None:
    assert all(trim._is_marker(sample) and _is_marker(sample) for sample in SAMPLES)
