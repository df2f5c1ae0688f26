"""Work gathered per key while the key's turn is taken (a tenant's statement under way).

Some statements cost PostgreSQL far more for being a statement than for their rows: a create's
rows and events, a bump of the number counters. `Turns` lets at most one such statement per key
(a tenant) be under way in a process. Work that comes while none is runs at once, alone, as it
would without `Turns`. Work that comes while one is under way joins the key's gathering; when
the statement under way ends, one call of `run` does all of the work gathered meanwhile, in the
order it came, and each caller gets its own result. An idle service runs as before; a busy one
shares statements.

`run(key, items)` answers one result per item, in order, or raises. When it raises for several
items, each of them gets the error, or, with `alone`, is run again by itself so that each gets
its own outcome (a create refused by a unique index must not take the others with it). A
caller cancelled while it waits leaves the gathered work to run for the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
I = TypeVar("I")  # noqa: E741 - the item, beside K and R
R = TypeVar("R")


class _Alone(Exception):
    """The gathered run failed: run this item by itself."""


class Turns(Generic[K, I, R]):
    """Per key: the run under way (its turn), and the items waiting for the next."""

    def __init__(self, run: Callable[[K, list[I]], Awaitable[list[R]]], *, alone: bool) -> None:
        self._run = run
        self._alone = alone
        self._turns: dict[K, asyncio.Lock] = {}
        self._waiting: dict[K, list[tuple[I, asyncio.Future[R]]]] = {}
        self._runs: set[asyncio.Task[None]] = set()  # referenced until they end

    async def take(self, key: K, item: I) -> R:
        """`item`'s result: run alone at once when `key` has nothing under way, else with the
        items that gather while it waits."""
        turn = self._turns.setdefault(key, asyncio.Lock())
        waiting = self._waiting.get(key)
        if waiting is None and not turn.locked():
            async with turn:
                return (await self._run(key, [item]))[0]
        if waiting is None:
            waiting = self._waiting[key] = []
            run = asyncio.create_task(self._at_turn(key, turn, waiting))
            self._runs.add(run)
            run.add_done_callback(self._runs.discard)
        answer: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        # Its outcome counts as seen even when its caller was cancelled meanwhile.
        answer.add_done_callback(lambda done: done.cancelled() or done.exception())
        waiting.append((item, answer))
        try:
            # Shielded: a cancelled caller must not cancel the run the others share.
            return await asyncio.shield(answer)
        except _Alone:
            return (await self._run(key, [item]))[0]

    async def _at_turn(
        self, key: K, turn: asyncio.Lock, waiting: list[tuple[I, asyncio.Future[R]]]
    ) -> None:
        """The key's gathered items (`waiting`), in one run when its turn comes."""
        async with turn:
            if self._waiting.get(key) is waiting:
                del self._waiting[key]  # no more join: the next ones gather anew
            try:
                results = await self._run(key, [item for item, _ in waiting])
            except Exception as exc:  # each item gets its outcome; the task ends quietly
                for _, answer in waiting:
                    answer.set_exception(_Alone() if self._alone and len(waiting) > 1 else exc)
                return
            except BaseException:  # cancelled: the task ends so
                for _, answer in waiting:
                    answer.set_exception(RuntimeError("the gathered run was cancelled"))
                raise
        for (_, answer), result in zip(waiting, results, strict=True):
            answer.set_result(result)
