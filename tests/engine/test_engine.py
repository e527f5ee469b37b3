"""The engine process: results over a pipe, timeouts, crashes, cancel, restart, memory."""

import os
import threading
import time

import numpy as np
import pytest

from gradlab.engine import CallsRequest, CheckRequest, CurvesRequest, Engine, EngineError, LoadRequest, Source
from gradlab.model.options import CheckOptions
from gradlab.model.results import CurveSet, FileInfo
from tests.helpers import builtin, data


@pytest.fixture(scope="module")
def engine():
    states = []
    with Engine(timeout=20, on_state=states.append) as engine:
        engine.states = states
        yield engine


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def test_requests_return_plain_dataclasses(engine):
    info = engine.request(LoadRequest(Source(builtin("sigmoid.py"))))
    assert isinstance(info, FileInfo)
    assert info.functions[0].name == "Sigmoid"
    curves = engine.request(CurvesRequest(Source(builtin("sigmoid.py")), points=101))
    assert isinstance(curves, CurveSet)
    assert isinstance(curves.x, np.ndarray) and curves.x.shape == (101,)
    assert engine.info.torch_version and "cpu" in engine.info.devices
    assert "ready" in engine.states and "busy" in engine.states


def test_unsaved_text_travels_with_the_request(engine, tmp_path):
    path = tmp_path / "draft.py"
    path.write_text("x = 1\n", encoding="utf-8")
    text = open(builtin("square.py"), encoding="utf-8").read()
    curves = engine.request(CurvesRequest(Source(str(path), text), domain=(4.0, 6.0), points=3))
    assert curves.hand_written.df.tolist() == [8.0, 10.0, 12.0]


def test_user_errors_come_back_as_problems_and_the_engine_lives_on(engine):
    pid = engine.pid
    with pytest.raises(EngineError) as info:
        engine.request(CurvesRequest(Source(data("raises_in_forward.py"))))
    assert info.value.problem.kind == "forward"
    assert info.value.problem.location.lineno == 9
    assert engine.pid == pid, "a Python exception needs no restart"


def test_a_hang_times_out_names_the_line_and_the_next_request_works(engine):
    started = time.monotonic()
    with pytest.raises(EngineError) as info:
        engine.request(CurvesRequest(Source(data("hangs.py"))), timeout=2)
    assert time.monotonic() - started < 6
    problem = info.value.problem
    assert problem.kind == "timeout"
    assert problem.location is not None and problem.location.lineno in (8, 9), "the loop's while or its body"
    assert f"hangs.py:{problem.location.lineno}" in problem.message and "did not finish within 2 s" in problem.message
    assert "restarted" in engine.states
    checks = engine.request(CheckRequest(Source(builtin("sigmoid.py")), options=CheckOptions(eps=1e-3)))
    assert checks.gradcheck.passed is True


def test_os_abort_kills_only_the_engine_which_restarts(engine):
    old_pid = engine.pid
    with pytest.raises(EngineError) as info:
        engine.request(CurvesRequest(Source(data("aborts.py"))))
    problem = info.value.problem
    assert problem.kind == "crash"
    assert "SIGABRT" in problem.message
    assert problem.location is not None and problem.location.lineno == 10
    curves = engine.request(CurvesRequest(Source(builtin("square.py")), points=11))
    assert curves.hand_written.f is not None
    assert engine.pid != old_pid


def test_cancel_from_another_thread_stops_within_a_second(engine):
    engine.request(LoadRequest(Source(builtin("sigmoid.py"))))  # ready
    timer = threading.Timer(0.5, engine.cancel)
    timer.start()
    started = time.monotonic()
    with pytest.raises(EngineError) as info:
        engine.request(CurvesRequest(Source(data("hangs.py"))), timeout=30)
    elapsed = time.monotonic() - started
    assert info.value.problem.kind == "cancelled"
    assert elapsed < 1.5, f"cancel took {elapsed - 0.5:.2f} s"
    assert engine.request(CallsRequest(Source(builtin("sigmoid.py")))).grads[0] is not None


@pytest.mark.slow  # a soak; benchmarks/run.py measures the growth over 200 edits too
def test_200_requests_keep_the_engine_memory_flat(engine):
    source = Source(builtin("sigmoid.py"))
    for _ in range(20):  # warm up allocator and caches
        engine.request(CurvesRequest(source, points=1001))
    before = rss_mb(engine.pid)
    for i in range(200):
        if i % 2:
            engine.request(CurvesRequest(source, points=1001))
        else:
            engine.request(CheckRequest(source))
    growth = rss_mb(engine.pid) - before
    assert growth < 20, f"engine grew {growth:.1f} MB over 200 requests"


def test_close_leaves_no_process():
    engine = Engine()
    engine.start()
    pid = engine.pid
    engine.close()
    assert not engine.is_alive()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
