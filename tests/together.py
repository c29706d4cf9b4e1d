"""Start the same thing in several threads at one moment, as replicas starting together would."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def at_once(
    run: Callable[[T], R], each: Sequence[T], timeout: float = 120
) -> tuple[list[R], list[BaseException]]:
    """``run(x)`` for every ``x`` of ``each``, each in its own thread, released together; what they
    returned and what they raised (a failure in a thread must fail the test, not vanish)."""
    barrier = threading.Barrier(len(each))
    results: list[R] = []
    errors: list[BaseException] = []

    def start(x: T) -> None:
        barrier.wait()
        try:
            results.append(run(x))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(x,)) for x in each]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results, errors
