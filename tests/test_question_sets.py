"""The question-set loader: what a file says, and a clear error when it is wrong."""

from pathlib import Path

import pytest

from okrmail.questions import QuestionSetError, load_question_set

QUESTION = """
[[questions]]
key = "changes"
text = "Any key results to drop?"
kind = "kr_changes"
keywords = ["changes"]
"""
HEAD = 'title = "Weekly"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "weekly.toml"
    path.write_text(HEAD + text, encoding="utf-8")
    return path


def test_a_question_is_required_unless_the_file_says_optional(tmp_path: Path) -> None:
    [plain] = load_question_set(write(tmp_path, QUESTION)).questions
    [optional] = load_question_set(write(tmp_path, QUESTION + "optional = true\n")).questions

    assert (plain.optional, optional.optional) == (False, True)


def test_an_optional_that_is_not_true_or_false_names_its_question(tmp_path: Path) -> None:
    path = write(tmp_path, QUESTION + 'optional = "yes"\n')

    with pytest.raises(QuestionSetError) as raised:
        load_question_set(path)

    assert str(raised.value) == (
        f"{path}: question 'changes': optional must be true or false, not 'yes'"
    )
