"""Parts of pages rendered once and kept in memory, each application with its own."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Hashable

from flask import current_app
from markupsafe import Markup

from testbed.i18n import language
from testbed.lru import MISSING, recall, remember


class Recent:
    """At most ``size`` values; keeping one more forgets the least recently used."""

    def __init__(self, size: int):
        self.size = size
        self._values: dict[Hashable, object] = {}
        # The development server answers requests in threads.
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], object]) -> object:
        """The value kept under ``key``; made and kept when there is none."""
        with self._lock:
            value = recall(self._values, key)
        if value is not MISSING:
            return value
        value = make()  # outside the lock: other requests need not wait for it
        with self._lock:
            remember(self._values, key, value, self.size)
        return value

    def __len__(self) -> int:
        return len(self._values)


def cached_html(name: str, size: int, key: Hashable, render: Callable[[], str]) -> Markup:
    """HTML from ``render``, rendered once per ``key`` in this application.

    ``key`` must name everything the HTML depends on but the language, which is added
    here: a part rendered in French is never served to an English reader. It is kept
    compressed: pages' parts shrink about tenfold, so that even a cache of a thousand
    large results pages stays at a few megabytes per worker.
    """
    key = (language(), key)
    compressed = cache(name, size).get(key, lambda: zlib.compress(render().encode(), 1))
    # Rendered by our own templates, which escape what they insert.
    return Markup(zlib.decompress(compressed).decode())  # noqa: S704  # nosec B704


def cache(name: str, size: int) -> Recent:
    """The application's cache called ``name``: each application (and test) starts empty."""
    caches = current_app.extensions.setdefault("testbed.fragments", {})
    found = caches.get(name)
    if found is None:
        found = caches.setdefault(name, Recent(size))
    return found
