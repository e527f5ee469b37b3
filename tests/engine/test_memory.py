"""The engines' memory budget: the cgroup's limit counts, and a client's engines share one budget."""

from pathlib import Path

import pytest

from gradlab.engine import Engine, LoadRequest, Source
from gradlab.engine.memory import (
    BUDGET_FRACTION,
    MEMORY_LIMIT_VARIABLE,
    cgroup_memory_limit,
    effective_memory,
    engine_memory_limit,
    physical_memory,
)
from tests.helpers import builtin


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_cgroup_v2_limit_and_its_ancestors_count(tmp_path):
    _write(tmp_path / "user.slice" / "memory.max", "8589934592\n")
    _write(tmp_path / "user.slice" / "app.scope" / "memory.max", "max\n")
    assert cgroup_memory_limit("0::/user.slice/app.scope\n", tmp_path) == 8 * 2**30
    _write(tmp_path / "user.slice" / "app.scope" / "memory.max", "3221225472\n")
    assert cgroup_memory_limit("0::/user.slice/app.scope\n", tmp_path) == 3 * 2**30


def test_cgroup_v1_and_no_limit(tmp_path):
    _write(tmp_path / "memory" / "docker" / "abc" / "memory.limit_in_bytes", str(3 * 2**30))
    assert cgroup_memory_limit("12:memory:/docker/abc\n5:cpu:/docker/abc\n", tmp_path) == 3 * 2**30
    _write(tmp_path / "memory" / "docker" / "abc" / "memory.limit_in_bytes", str(2**63 - 4096))
    assert cgroup_memory_limit("12:memory:/docker/abc\n", tmp_path) is None
    assert cgroup_memory_limit("0::/\n", tmp_path / "nothing") is None


def test_two_engines_share_one_budget(monkeypatch):
    monkeypatch.delenv(MEMORY_LIMIT_VARIABLE, raising=False)
    whole = engine_memory_limit(1.0)
    assert whole == int(effective_memory() * BUDGET_FRACTION) and effective_memory() <= physical_memory()
    assert engine_memory_limit(0.5) * 2 == pytest.approx(whole, abs=2)


def _data_limit(pid: int) -> str:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max data size"):
            return line.split()[3]
    raise AssertionError("no data limit line")


@pytest.mark.skipif(not Path("/proc/self/limits").exists(), reason="reads /proc")
def test_an_engine_process_is_capped_at_its_share(monkeypatch):
    monkeypatch.delenv(MEMORY_LIMIT_VARIABLE, raising=False)
    with Engine(memory_share=0.5) as engine:
        engine.request(LoadRequest(Source(builtin("sigmoid.py"))))  # answered: the cap is set before the first answer
        assert _data_limit(engine.pid) == str(engine_memory_limit(0.5))
