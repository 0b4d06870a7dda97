"""Fair admission to the answer threads (kepu/service/admission.py): one client's flood waits in its own
line, another client's question is next; a question with no thread by the deadline is refused. Every
wait here is on events (threading.Event), never on the machine's speed."""

from __future__ import annotations

import threading

import anyio
import pytest

from kepu.errors import Overloaded
from kepu.service.admission import Admission

pytestmark = pytest.mark.unit
GENEROUS_S = 60.0  # a deadline no test here should reach unless admission is broken


def _blocker(release: threading.Event, started: list[str], name: str):  # type: ignore[no-untyped-def]
    def work() -> str:
        started.append(name)
        assert release.wait(GENEROUS_S)
        return name

    return work


def test_a_flooding_client_waits_in_its_own_line_and_another_client_goes_next() -> None:
    """Client A sends six questions at once into two threads with a line of one: B's question, sent
    after all of A's, starts as soon as a thread frees, before A's third."""
    waits: list[float] = []

    async def main() -> list[str]:
        admission = Admission(2, 1, GENEROUS_S, waits.append)
        release = threading.Event()
        started: list[str] = []
        async with anyio.create_task_group() as tg:
            for i in range(6):
                tg.start_soon(admission.run, "A", _blocker(release, started, f"A{i}"))
            while len(started) < 1:  # A's first holds one thread; A's others queue in A's line
                await anyio.sleep(0.01)
            tg.start_soon(admission.run, "B", _blocker(release, started, "B0"))
            while len(started) < 2:
                await anyio.sleep(0.01)
            release.set()
        return started

    order = anyio.run(main)
    assert order[:2] == ["A0", "B0"], order  # A had one thread; B got the other at once
    assert sorted(order) == sorted([f"A{i}" for i in range(6)] + ["B0"])
    assert len(waits) == 7  # every question's wait is observed (the metric)


def test_a_question_with_no_thread_by_the_deadline_is_overloaded_and_the_wait_is_reported() -> None:
    async def main() -> tuple[bool, float]:
        admission = Admission(1, 4, 0.2, lambda _w: None)
        release = threading.Event()
        started: list[str] = []
        refused = False
        async with anyio.create_task_group() as tg:
            tg.start_soon(admission.run, "A", _blocker(release, started, "A0"))
            while not started:
                await anyio.sleep(0.01)
            try:  # the only thread is held until release: this one cannot start
                await admission.run("B", _blocker(release, started, "B0"))
            except Overloaded as exc:
                refused = exc.retry_after_s >= 1
            release.set()
        return refused, admission.recent_wait_s()

    refused, recent = anyio.run(main)
    assert refused and recent >= 0.2


def test_a_line_is_forgotten_once_its_client_has_nothing_left() -> None:
    async def main() -> int:
        admission = Admission(2, 2, GENEROUS_S, lambda _w: None)
        for i in range(3):
            await admission.run(f"client-{i}", lambda: None)
        return len(admission._lines)

    assert anyio.run(main) == 0
