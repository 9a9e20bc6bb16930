"""Question sets: data files under templates/questions/NAME.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

KINDS = (
    "kr_progress",
    "confidence",
    "blockers",
    "actions",
    "help",
    "wins",
    "kr_changes",
    "text",
)


# The note an answer to a question of each kind is, whole: what an obstacles question is
# answered with is a blocker, wherever the words came from.
NOTE_KIND = {"blockers": "blocker", "help": "help", "wins": "win"}


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    kind: str
    keywords: tuple[str, ...]
    hint: str = ""
    # Skipping it says "nothing here" ("Any key results to drop?"): the confirmation does
    # not ask for it again, nor count it as missing.
    optional: bool = False


@dataclass(frozen=True)
class QuestionSet:
    name: str
    title: str
    description: str
    default_for: tuple[str, ...]
    questions: tuple[Question, ...]
    manager_questions: tuple[Question, ...]

    def for_role(self, role: str) -> tuple[Question, ...]:
        return self.manager_questions if role == "manager" else self.questions


class QuestionSetError(ValueError):
    pass


def _question(raw: dict[str, object], where: str) -> Question:
    try:
        question = Question(
            key=str(raw["key"]),
            text=str(raw["text"]),
            kind=str(raw["kind"]),
            keywords=tuple(str(word) for word in raw.get("keywords", [])),  # type: ignore[attr-defined]
            hint=str(raw.get("hint", "")),
            optional=raw.get("optional", False),  # type: ignore[arg-type]
        )
    except KeyError as missing:
        raise QuestionSetError(f"{where}: a question lacks {missing}") from None
    if not isinstance(question.optional, bool):
        raise QuestionSetError(
            f"{where}: question {question.key!r}: optional must be true or false, "
            f"not {question.optional!r}"
        )
    if question.kind not in KINDS:
        raise QuestionSetError(f"{where}: kind {question.kind!r} is not one of {', '.join(KINDS)}")
    return question


def load_question_set(path: Path) -> QuestionSet:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    where = str(path)
    return QuestionSet(
        name=raw.get("name", path.stem),
        title=raw["title"],
        description=raw.get("description", ""),
        default_for=tuple(raw.get("default_for", [])),
        questions=tuple(_question(item, where) for item in raw.get("questions", [])),
        manager_questions=tuple(
            _question(item, where) for item in raw.get("manager_questions", [])
        ),
    )


@lru_cache(maxsize=8)
def question_sets(templates_path: Path) -> dict[str, QuestionSet]:
    """Every question set under templates_path/questions, by name."""
    folder = templates_path / "questions"
    return {path.stem: load_question_set(path) for path in sorted(folder.glob("*.toml"))}


def default_question_set(templates_path: Path, cadence: str) -> str:
    for name, question_set in question_sets(templates_path).items():
        if cadence in question_set.default_for:
            return name
    raise QuestionSetError(f"no question set is the default for the {cadence} cadence")
