"""Bounded caches in plain dicts: past their size, the least recently used entry goes.

A dict keeps its keys in insertion order, so taking a key out and putting it
back marks it most recently used, and the first key is the least.
"""

from __future__ import annotations

from collections.abc import Hashable

# What ``recall`` answers for a key it does not hold (a cached value may be None).
MISSING = object()


def recall(cache: dict, key: Hashable):
    """The cached value, marked most recently used; ``MISSING`` if it is not held."""
    value = cache.pop(key, MISSING)
    if value is not MISSING:
        cache[key] = value
    return value


def remember(cache: dict, key: Hashable, value, size: int) -> None:
    """Keep ``value``; beyond ``size`` entries the least recently used goes."""
    cache.pop(key, None)
    cache[key] = value
    while len(cache) > size:
        cache.pop(next(iter(cache)), None)
