"""The benchmarks keep running as the code changes (their figures are read by people)."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def load(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tick_benchmark_claims_exactly_the_due_prompts() -> None:
    tick_bench = load("tick")
    seconds = tick_bench.measure(1_000, None, runs=2)  # asserts DUE prompts dispatched each run
    assert 0 < seconds < 5
