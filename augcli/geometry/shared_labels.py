"""Label work done once per task for the copies that kept the source's instances.

Ops never modify their input, and an op that moves no label (a pixel op, or no
op at all) passes the same ``Instances`` object on, so every copy of a task
whose ops left the labels alone holds the source's own object. Within
``shared_labels(instances)`` (the engine opens one per task), ``once`` returns
what was derived from that object before with the same settings (the label
filter's outcome, a writer's annotation entries) instead of deriving it again.
Other objects are never remembered, so the memo holds one object's results
whatever the copy count, and is dropped when the task ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
# (objects whose derivations are remembered by id, (id, settings) -> derived value)
_scope: tuple[dict[int, Any], dict] | None = None


@contextlib.contextmanager
def shared_labels(instances: Any) -> Iterator[None]:
    """Remember, until the block ends, what ``once`` derives from ``instances``."""
    global _scope
    previous, _scope = _scope, ({id(instances): instances}, {})
    try:
        yield
    finally:
        _scope = previous


def once(
    instances: Any, settings: Hashable, derive: Callable[[], T], shares: Callable[[T], Any] | None = None
) -> T:
    """``derive()``, which must depend only on ``instances`` and ``settings``; computed once per
    task for the source's instances. The value is shared: callers must not modify it.
    ``shares(value)``: instances derived in it (the filter's survivors), the same object for
    every copy, whose own derivations are remembered too."""
    scope = _scope
    if scope is None or scope[0].get(id(instances)) is not instances:
        return derive()
    tracked, memo = scope
    key = (id(instances), settings)
    if key not in memo:
        memo[key] = derive()
        if shares is not None:
            derived = shares(memo[key])
            tracked[id(derived)] = derived
    return memo[key]
