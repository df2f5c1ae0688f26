"""core/turns.py: work that comes while a key's run is under way goes together in the next run."""

from __future__ import annotations

import asyncio

import pytest

from rolodex.core.turns import Turns


class Runs:
    """A `run` that records its calls; the first call waits until `release` is set."""

    def __init__(self, *, failing: frozenset[int] = frozenset()) -> None:
        self.calls: list[tuple[str, list[int]]] = []
        self.release = asyncio.Event()
        self.failing = failing

    async def __call__(self, key: str, items: list[int]) -> list[int]:
        self.calls.append((key, items))
        if len(self.calls) == 1:
            await self.release.wait()
        if self.failing & set(items):
            raise ValueError(f"refused: {sorted(self.failing & set(items))}")
        return [item * 10 for item in items]


async def _started(turns: Turns[str, int, int], key: str, item: int) -> asyncio.Task[int]:
    task = asyncio.create_task(turns.take(key, item))
    await asyncio.sleep(0)  # it reaches its turn, or joins the gathering
    return task


async def test_what_comes_meanwhile_goes_together_in_order() -> None:
    runs = Runs()
    turns: Turns[str, int, int] = Turns(runs, alone=False)
    first = await _started(turns, "a", 1)
    waiting = [await _started(turns, "a", n) for n in (2, 3, 4)]
    other = await _started(turns, "b", 5)  # another key does not wait for "a"
    assert await other == 50
    runs.release.set()
    assert await first == 10
    assert [await task for task in waiting] == [20, 30, 40]
    assert runs.calls == [("a", [1]), ("b", [5]), ("a", [2, 3, 4])]
    assert await turns.take("a", 6) == 60  # nothing under way: alone, at once
    assert runs.calls[-1] == ("a", [6])


@pytest.mark.parametrize("alone", [True, False])
async def test_a_failed_gathered_run(alone: bool) -> None:
    runs = Runs(failing=frozenset({3}))
    turns: Turns[str, int, int] = Turns(runs, alone=alone)
    first = await _started(turns, "a", 1)
    waiting = [await _started(turns, "a", n) for n in (2, 3, 4)]
    runs.release.set()
    assert await first == 10
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)
    if alone:  # each again by itself: only the refused one fails
        assert outcomes[0] == 20 and outcomes[2] == 40
        assert isinstance(outcomes[1], ValueError) and "[3]" in str(outcomes[1])
        assert runs.calls[1:] == [("a", [2, 3, 4]), ("a", [2]), ("a", [3]), ("a", [4])]
    else:  # each gets the gathered run's error
        assert all(isinstance(o, ValueError) for o in outcomes)
        assert runs.calls[1:] == [("a", [2, 3, 4])]


async def test_a_cancelled_caller_leaves_the_run_to_the_others() -> None:
    runs = Runs()
    turns: Turns[str, int, int] = Turns(runs, alone=False)
    first = await _started(turns, "a", 1)
    gone = await _started(turns, "a", 2)
    staying = await _started(turns, "a", 3)
    gone.cancel()
    runs.release.set()
    assert await first == 10 and await staying == 30
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert runs.calls == [("a", [1]), ("a", [2, 3])]  # its item was still run with the others
