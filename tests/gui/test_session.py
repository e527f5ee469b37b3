"""The Session and its jobs: every request ends in exactly one answer, stamped with what it was for."""

import pytest

from gradlab.gui.session import BENCHMARK, INTERACTIVE, Session, Stamp
from gradlab.model.requests import CurvesRequest, LoadRequest, Source
from tests.helpers import builtin, data

SIGMOID = Stamp(builtin("sigmoid.py"), 1, "Sigmoid")


@pytest.fixture
def session(qtbot):
    session = Session(timeout=30.0)
    yield session
    session.close()


def _ends(job) -> list:
    ends = []
    for name in ("result", "error", "cancelled"):
        getattr(job, name).connect(lambda value, name=name: ends.append(name))
    return ends


def test_a_job_carries_its_stamp_and_ends_once_with_its_result(session, qtbot):
    job = session.submit(LoadRequest(Source(builtin("sigmoid.py"))), SIGMOID)
    ends = _ends(job)
    with qtbot.waitSignal(job.finished, timeout=90_000):
        pass
    assert ends == ["result"] and job.state == "done"
    assert [f.name for f in job.answer.functions] == ["Sigmoid"]
    assert job.stamp.label() == "sigmoid.py \u00b7 Sigmoid \u00b7 revision 1"


def test_cancelling_a_queued_job_says_so_at_once_and_it_never_runs(session, qtbot):
    slow = session.submit(CurvesRequest(Source(data("hangs.py"))), SIGMOID, channel="slow", timeout=3.0)
    queued = session.submit(LoadRequest(Source(builtin("sigmoid.py"))), SIGMOID, channel="load")
    ends = _ends(queued)
    queued.cancel()
    assert ends == ["cancelled"] and "before it started" in queued.answer.message
    with qtbot.waitSignal(slow.finished, timeout=90_000):
        pass
    qtbot.wait(300)
    assert ends == ["cancelled"], "a cancelled job never answers again"


def test_a_newer_job_of_a_channel_supersedes_a_queued_older_one(session, qtbot):
    blocker = session.submit(LoadRequest(Source(builtin("sigmoid.py"))), SIGMOID, channel="load")
    older = session.submit(CurvesRequest(Source(builtin("sigmoid.py")), points=11), SIGMOID, channel="curves")
    newer = session.submit(CurvesRequest(Source(builtin("sigmoid.py")), points=21), SIGMOID, channel="curves")
    assert older.state == "cancelled" and older.answer.kind == "superseded"
    with qtbot.waitSignal(newer.finished, timeout=90_000):
        pass
    assert blocker.state == "done" and newer.state == "done" and len(newer.answer.x) == 21


def test_after_close_a_job_is_cancelled_and_no_engine_starts(qtbot):
    session = Session(timeout=30.0)
    session.close()
    job = session.submit(LoadRequest(Source(builtin("sigmoid.py"))), SIGMOID, engine=BENCHMARK)
    assert job.state == "cancelled" and "closing" in job.answer.message
    assert not session.has_engine(BENCHMARK)
    assert session.engine(INTERACTIVE).pid is None, "close stops the interactive engine for good"
