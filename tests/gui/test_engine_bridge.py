"""The bridge between the window and an engine: per-channel cancel, and forgetting a file's pending work."""

import time

import pytest

from gradlab.engine import LoadRequest, Source
from gradlab.model.requests import CurvesRequest
from gradlab.gui.engine_bridge import EngineBridge
from tests.helpers import builtin, data


@pytest.fixture
def bridge(qtbot):
    bridge = EngineBridge(timeout=30.0)
    yield bridge
    bridge.close()


def test_cancelling_a_queued_request_reports_it_at_once_and_it_never_runs(bridge, qtbot):
    results, failures = [], []
    bridge.result_ready.connect(lambda channel, ticket, result: results.append(channel))
    bridge.failed.connect(lambda channel, ticket, problem: failures.append((channel, problem.kind)))
    bridge.submit("slow", CurvesRequest(Source(data("hangs.py"))), timeout=3.0)
    bridge.submit("bench", LoadRequest(Source(builtin("sigmoid.py"))))
    started = time.monotonic()
    bridge.cancel("bench")
    assert failures == [("bench", "cancelled")] and time.monotonic() - started < 0.5, "reported now, not after the queue"
    qtbot.waitUntil(lambda: ("slow", "timeout") in failures, timeout=30_000)
    qtbot.wait(300)
    assert "bench" not in results and failures.count(("bench", "cancelled")) == 1, "it never ran, and is reported once"


def test_cancelling_another_channel_leaves_the_running_request_alone(bridge, qtbot):
    with qtbot.waitSignal(bridge.result_ready, timeout=30_000) as done:
        bridge.submit("load", LoadRequest(Source(builtin("sigmoid.py"))))
        bridge.cancel("check")  # nothing of that channel: a no-op
    assert done.args[0] == "load"


def test_forgotten_requests_are_never_shown_or_run(bridge, qtbot):
    seen = []
    bridge.result_ready.connect(lambda channel, ticket, result: seen.append((channel, ticket)))
    first = bridge.submit("load", LoadRequest(Source(builtin("sigmoid.py"))))
    queued = bridge.submit("curves", CurvesRequest(Source(builtin("sigmoid.py"))))
    bridge.forget()
    assert bridge.latest("load") != first and bridge.latest("curves") != queued, "answers still due no longer match"
    fresh = bridge.submit("load", LoadRequest(Source(builtin("tanh.py"))))
    qtbot.waitUntil(lambda: ("load", fresh) in seen, timeout=30_000)
    assert bridge.latest("load") == fresh
    assert ("curves", queued) not in seen, "the queued request of the forgotten file did not run"
