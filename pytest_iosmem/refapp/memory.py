"""Real memory for the reference app, and its table of live objects by class.

Buffers are private anonymous mappings with every page written, so they are
resident, dirty memory: exactly what the footprint counts (on Linux,
``RssAnon``), and given back to the OS the moment they are released (no
allocator keeps them cached), so a leak's size per visit is known to the page.
A size is rounded up to whole pages once per buffer, which is why screens
that split a leak into many objects split it in whole pages (:func:`split_pages`).
"""

from __future__ import annotations

import mmap
import threading
from collections import Counter

from . import allocations

__all__ = ["PAGE", "Buffer", "LiveObjects", "Tracked", "live", "page_round", "split_pages"]

PAGE = mmap.PAGESIZE


def page_round(size: int) -> int:
    """``size`` rounded up to whole pages: what a buffer of that size really costs."""
    return -(-max(0, int(size)) // PAGE) * PAGE


def split_pages(total: int, parts: int) -> list[int]:
    """Split ``total`` bytes into ``parts`` sizes in whole pages that sum to ``page_round(total)``.

    Splitting 400 KB into 16 buffers of 25 600 bytes would cost 16 × 7 pages
    (+12%); splitting the pages instead keeps the total exact. Parts left
    with no page are 0 (objects with no pixels of their own).
    """
    pages = page_round(total) // PAGE
    base, extra = divmod(pages, max(1, parts))
    return [(base + (1 if i < extra else 0)) * PAGE for i in range(max(1, parts))]


class LiveObjects:
    """Counts instances and retained bytes by class, like ``heap``'s class histogram.

    Objects report themselves (:class:`Tracked`, :class:`Buffer`): added when
    made, removed by ``__del__`` when their last reference goes.  No weak
    references or finalizers per object, so the table costs no memory per
    leaked object beyond the object itself.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count: Counter[str] = Counter()
        self._bytes: Counter[str] = Counter()

    def add(self, cls: str, size: int = 0) -> None:
        with self._lock:
            self._count[cls] += 1
            self._bytes[cls] += size

    def add_bytes(self, cls: str, size: int) -> None:
        """Bytes an instance already counted owns (see :meth:`Tracked.track_bytes`)."""
        with self._lock:
            self._bytes[cls] += size

    def remove(self, cls: str, size: int = 0) -> None:
        with self._lock:
            self._count[cls] -= 1
            self._bytes[cls] -= size
            if self._count[cls] <= 0:
                del self._count[cls]
                self._bytes.pop(cls, None)

    def table(self) -> list[dict]:
        """Rows ``{"class", "count", "bytes"}``, largest retained bytes first."""
        with self._lock:
            rows = [{"class": c, "count": n, "bytes": self._bytes[c]} for c, n in self._count.items()]
        return sorted(rows, key=lambda r: (-r["bytes"], r["class"]))

    def total_bytes(self) -> int:
        with self._lock:
            return sum(self._bytes.values())


live = LiveObjects()


class Tracked:
    """Base of the app's objects that show up in ``/iosmem/objects`` under their class name."""

    __slots__ = ()
    live_name: str | None = None  # the name in the table, when it is not the class name

    def __new__(cls, *args: object, **kwargs: object) -> "Tracked":
        obj = super().__new__(cls)
        live.add(cls.live_name or cls.__name__)
        return obj

    def track_bytes(self, size: int) -> None:
        """Count ``size`` bytes the instance owns under its class (an object without
        ``__slots__`` only): ``heap`` shows a class's instances with their sizes."""
        self._live_bytes = getattr(self, "_live_bytes", 0) + size
        live.add_bytes(type(self).live_name or type(self).__name__, size)

    def __del__(self) -> None:
        live.remove(type(self).live_name or type(self).__name__, getattr(self, "_live_bytes", 0))


class Buffer:
    """``size`` bytes (rounded up to pages) of touched memory: image pixels, a model's data...

    Freed with the object (reference count reaching zero), the mapping is
    unmapped and the pages go back to the OS at once.
    """

    __slots__ = ("_map", "size", "kind")

    def __init__(self, size: int, kind: str = "Buffer") -> None:
        self.size = page_round(size)
        self.kind = kind
        self._map: mmap.mmap | None = None
        if self.size:
            flags = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_ANONYMOUS", 0)
            self._map = mmap.mmap(-1, self.size, flags=flags) if flags else mmap.mmap(-1, self.size)
            view = memoryview(self._map)
            view[::PAGE] = b"\x01" * (self.size // PAGE)  # dirty every page: resident, not a shared zero page
            view.release()
            allocations.track(self, self.size)  # with its stack, when allocation stacks are on
        live.add(kind, self.size)

    def __del__(self) -> None:
        live.remove(self.kind, self.size)
        if self._map is not None:
            allocations.untrack(self)
            self._map.close()
