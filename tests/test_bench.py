"""The benchmarks keep running as the code changes (their figures are read by people)."""

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def load(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


def test_tick_benchmark_claims_exactly_the_due_prompts() -> None:
    tick_bench = load("tick")
    seconds = tick_bench.measure(1_000, None, runs=2)  # asserts DUE prompts dispatched each run
    assert 0 < seconds < 5


def test_ingest_benchmark_turns_every_corpus_reply_into_a_checkin(tmp_path: Path) -> None:
    from collections import Counter

    from sqlalchemy import func, select

    from okrmail.models import CheckInAnswer, InboxMessage

    ingest_bench = load("ingest")
    space = ingest_bench.Workspace(tmp_path, copies=1)
    for _ in range(2):  # the second run starts again from the seeded template
        ctx = space.fresh()
        with ctx.sessions() as session:
            assert session.scalar(select(func.count()).select_from(InboxMessage)) == 0
        ingest_bench.run_ingest(ctx, space.messages, chunk=25)
        with ctx.sessions() as session:
            statuses = Counter(session.scalars(select(InboxMessage.status)))
            answers = session.scalar(select(func.count()).select_from(CheckInAnswer))
        assert statuses == {"checkin": len(space.cases)}
        assert answers and answers >= 3 * len(space.cases)
    ctx.engine.dispose()


def test_ingest_benchmark_phases_read_each_reply_with_its_prompts_questions(
    tmp_path: Path,
) -> None:
    from okrmail.inbound.assess import first_look, says_nothing
    from okrmail.replies.answers import parse_reply

    ingest_bench = load("ingest")
    space = ingest_bench.Workspace(tmp_path, copies=2)
    items = ingest_bench.readings(space, copies=2)
    assert [item.raw for item in items] == [message.raw for message in space.messages]
    for number, item in enumerate(items):
        expect = space.cases[number // 2].expect
        assert [kr.title for kr in item.key_results] == [
            kr["title"] for kr in expect["key_results"]
        ]
        parsed = parse_reply(first_look(item.raw).text, item.questions, item.key_results)
        assert not says_nothing(parsed), space.cases[number // 2].name
    ctx = space.ctx
    assert ctx.engine is not None
    ctx.engine.dispose()
