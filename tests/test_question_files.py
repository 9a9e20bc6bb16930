"""Sanity checks for the question-set data files in templates/questions/.

Uses only the standard library (tomllib) so it does not depend on the loader.
"""

import re
import tomllib
from pathlib import Path

import pytest

QUESTIONS_DIR = Path(__file__).resolve().parent.parent / "templates" / "questions"
FILES = sorted(QUESTIONS_DIR.glob("*.toml"))

CADENCES = {"weekly", "biweekly", "monthly", "quarterly"}
KINDS = {
    "kr_progress",
    "confidence",
    "blockers",
    "actions",
    "help",
    "wins",
    "kr_changes",
    "text",
}
TOP_REQUIRED = {"name", "title", "description", "default_for", "questions"}
TOP_ALLOWED = TOP_REQUIRED | {"manager_questions"}
Q_REQUIRED = {"key", "text", "kind", "keywords"}
Q_ALLOWED = Q_REQUIRED | {"hint", "optional"}
SLUG = re.compile(r"^[a-z_]+$")
WORD = re.compile(r"^[a-z]+$")
MAX_QUESTIONS = 7


def load(path):
    with path.open("rb") as f:
        return tomllib.load(f)


def question_lists(data):
    yield "questions", data["questions"]
    if "manager_questions" in data:
        yield "manager_questions", data["manager_questions"]


def test_files_exist():
    assert FILES, f"no question files found in {QUESTIONS_DIR}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_top_level(path):
    data = load(path)
    missing = TOP_REQUIRED - data.keys()
    assert not missing, f"missing keys: {sorted(missing)}"
    unknown = data.keys() - TOP_ALLOWED
    assert not unknown, f"unknown keys: {sorted(unknown)}"
    assert data["name"] == path.stem
    assert isinstance(data["title"], str) and data["title"].strip()
    assert isinstance(data["description"], str) and data["description"].strip()
    assert isinstance(data["default_for"], list)
    assert set(data["default_for"]) <= CADENCES, data["default_for"]
    assert len(set(data["default_for"])) == len(data["default_for"])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_questions(path):
    data = load(path)
    assert isinstance(data["questions"], list)
    assert 1 <= len(data["questions"]) <= MAX_QUESTIONS
    if "manager_questions" in data:
        assert isinstance(data["manager_questions"], list)
        assert 1 <= len(data["manager_questions"]) <= MAX_QUESTIONS

    keys = []
    for section, questions in question_lists(data):
        kinds = []
        keywords = []
        for q in questions:
            assert isinstance(q, dict), f"{section}: entry is not a table"
            where = f"{section}[{q.get('key')!r}]"
            missing = Q_REQUIRED - q.keys()
            assert not missing, f"{where}: missing keys {sorted(missing)}"
            unknown = q.keys() - Q_ALLOWED
            assert not unknown, f"{where}: unknown keys {sorted(unknown)}"

            assert isinstance(q["key"], str) and SLUG.match(q["key"]), where
            assert isinstance(q["text"], str) and q["text"].strip(), where
            assert q["kind"] in KINDS, f"{where}: bad kind {q['kind']!r}"
            if "hint" in q:
                assert isinstance(q["hint"], str) and q["hint"].strip(), where
            if "optional" in q:
                assert isinstance(q["optional"], bool), where
                # Progress and confidence are what a check-in is for: never optional.
                assert not (q["optional"] and q["kind"] in {"kr_progress", "confidence"}), where

            kw = q["keywords"]
            assert isinstance(kw, list) and 1 <= len(kw) <= 4, where
            for word in kw:
                assert isinstance(word, str) and WORD.match(word), (
                    f"{where}: keyword {word!r} is not a lowercase word"
                )
            assert len(set(kw)) == len(kw), f"{where}: duplicate keywords"

            keys.append(q["key"])
            kinds.append(q["kind"])
            keywords.extend(kw)

        non_text = [k for k in kinds if k != "text"]
        assert len(non_text) == len(set(non_text)), (
            f"{section}: more than one question of the same kind: {kinds}"
        )
        # A label in a reply must point at a single question.
        dupes = sorted({w for w in keywords if keywords.count(w) > 1})
        assert not dupes, f"{section}: keywords shared between questions: {dupes}"

    assert len(keys) == len(set(keys)), f"duplicate question keys: {keys}"


def test_each_cadence_has_exactly_one_default():
    owners = {c: [] for c in CADENCES}
    for path in FILES:
        for cadence in load(path)["default_for"]:
            owners.setdefault(cadence, []).append(path.stem)
    for cadence in sorted(CADENCES):
        assert len(owners[cadence]) == 1, (
            f"cadence {cadence!r} is default_for {owners[cadence] or 'no set'}"
        )
