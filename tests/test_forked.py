"""Work shared with a forked child (``screener.forked``): each part done once, in order,
whatever the two processes' speeds, and never a different value when the child fails."""

from __future__ import annotations

import os
import time
from functools import partial

import pytest
from helpers import record_forks

from screener.forked import Claims, Shared, Turns, in_order


def _part(index: int, parent: int, slow_child: float = 0.0) -> tuple[int, bool]:
    """Part ``index``'s value, and whether the child computed it."""
    in_child = os.getpid() != parent
    if in_child and slow_child:
        time.sleep(slow_child)
    return index * index, in_child


def _parts(n: int, **kwargs: float) -> list[partial[tuple[int, bool]]]:
    return [partial(_part, i, os.getpid(), **kwargs) for i in range(n)]


def test_claims_give_each_part_to_one_process_only() -> None:
    claims = Claims(5)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        taken = 0
        while claims.take():
            taken += 1
            time.sleep(0.01)
        os.write(write_end, bytes([taken]))
        os._exit(0)
    os.close(write_end)
    mine = 0
    while claims.take():
        mine += 1
        time.sleep(0.01)
    theirs = os.read(read_end, 1)[0]
    os.waitpid(pid, 0)
    os.close(read_end)
    claims.close()
    assert mine + theirs == 5 and not claims.take()
    with pytest.raises(ValueError):
        Claims(Claims.MOST + 1)


def test_shared_parts_come_back_in_order_each_done_once() -> None:
    work = Shared(_parts(12))
    time.sleep(0.2)  # the child takes every part while this process is busy elsewhere
    values = work.results(_parts(12))
    assert [v for v, _ in values] == [i * i for i in range(12)]
    assert all(in_child for _, in_child in values)


def test_a_slow_child_leaves_its_parts_to_this_process() -> None:
    """The child's core is slow (a busy neighbour): this process does most parts, from
    the last one down, and the child's run comes first."""
    work = Shared(_parts(10, slow_child=0.3))
    time.sleep(0.1)  # the child has started on its first part
    values = work.results(_parts(10))
    assert [v for v, _ in values] == [i * i for i in range(10)]
    flags = [in_child for _, in_child in values]
    assert flags == sorted(flags, reverse=True) and 0 < flags.count(True) <= 2


def test_a_failed_or_refused_child_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()

    def dies(index: int) -> int:
        if os.getpid() != parent:
            os._exit(3)
        return index * index

    parts = [partial(dies, i) for i in range(6)]
    time_for_child = Shared(parts)
    time.sleep(0.1)
    assert time_for_child.results(parts) == [i * i for i in range(6)]
    refused = Shared(_parts(6))
    time.sleep(0.1)
    values = refused.results(_parts(6), lambda index, value: None if index == 2 else value)
    assert values == [(i * i, False) for i in range(6)]  # all of them done here
    # a child that could not be forked: everything here
    monkeypatch.setattr(os, "fork", lambda: (_ for _ in ()).throw(OSError(11, "no")))
    assert Shared(_parts(3)).results(_parts(3)) == [(0, False), (1, False), (4, False)]


def test_a_stopped_share_reaps_its_child() -> None:
    work = Shared(_parts(4, slow_child=5.0))
    pid = work.pid
    assert pid
    work.stop()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _big_part(
    index: int, parent: int, slow_child: float = 0.0, slow_parent: float = 0.0
) -> tuple[int, bool, bytes]:
    """A part whose value is bigger than a pipe holds (as an export's segment is)."""
    value, in_child = _part(index, parent, slow_child)
    if not in_child and slow_parent:
        time.sleep(slow_parent)
    return value, in_child, bytes([index % 256]) * 200_000


def test_turns_hand_each_index_out_once_in_order() -> None:
    turns = Turns(3)
    assert [turns.next(), turns.next(), turns.next(), turns.next()] == [0, 1, 2, None]
    turns.close()
    assert turns.next() is None
    with pytest.raises(ValueError):
        Turns(Turns.MOST + 1)


def test_in_order_hands_every_value_on_in_order_each_part_done_once() -> None:
    parent = os.getpid()
    got: list[tuple[int, bool, bytes]] = []
    # (both slow: each surely takes parts, however busy the machine)
    parts = [partial(_big_part, i, parent, slow_child=0.02, slow_parent=0.1) for i in range(12)]
    in_order(parts, got.append, fork=True)
    assert [v for v, _, _ in got] == [i * i for i in range(12)]
    assert [data == bytes([i]) * 200_000 for i, (_, _, data) in enumerate(got)] == [True] * 12
    flags = [in_child for _, in_child, _ in got]
    assert True in flags and False in flags  # both processes took parts
    got.clear()
    in_order([partial(_big_part, i, parent) for i in range(5)], got.append, fork=False)
    assert [(v, c) for v, c, _ in got] == [(i * i, False) for i in range(5)]


def test_in_order_with_a_slow_child_does_most_parts_here() -> None:
    parent = os.getpid()
    got: list[tuple[int, bool, bytes]] = []
    parts = [partial(_big_part, i, parent, slow_child=0.5) for i in range(10)]
    in_order(parts, got.append, fork=True)
    assert [v for v, _, _ in got] == [i * i for i in range(10)]
    assert [c for _, c, _ in got].count(True) <= 3  # (of 10: the child is 0.5 s a part)


def test_in_order_with_a_failed_child_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()

    def dies(index: int) -> int:
        if os.getpid() != parent and index >= 2:
            os._exit(3)
        return index * index

    got: list[int] = []
    in_order([partial(dies, i) for i in range(8)], got.append, fork=True)
    assert got == [i * i for i in range(8)]
    got.clear()
    monkeypatch.setattr(os, "fork", lambda: (_ for _ in ()).throw(OSError(11, "no")))
    in_order([partial(dies, i) for i in range(4)], got.append, fork=True)
    assert got == [0, 1, 4, 9]


def test_in_order_reaps_its_child_when_a_value_cannot_be_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A write that fails (a full disk) ends the run: the error is raised here and the
    child is stopped and reaped, not left behind."""

    def full(_: object) -> None:
        raise OSError(28, "No space left on device")

    forks = record_forks(monkeypatch)
    with pytest.raises(OSError, match="No space"):
        in_order(_parts(6, slow_child=5.0), full, fork=True)
    [pid] = forks
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
