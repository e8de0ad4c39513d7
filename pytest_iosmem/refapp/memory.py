"""Real memory for the reference app, and its table of live objects by class.

Buffers are private anonymous mappings with every page written, so they are
resident, dirty memory: exactly what the footprint counts (on Linux,
``RssAnon``), and given back to the OS the moment they are released, so a
leak's size per visit is known to the page.
"""

from __future__ import annotations

import mmap
import threading
import weakref
from collections import Counter

__all__ = ["Buffer", "LiveObjects", "live"]

PAGE = mmap.PAGESIZE


class LiveObjects:
    """Counts instances and retained bytes by class, like ``heap``'s class histogram."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count: Counter[str] = Counter()
        self._bytes: Counter[str] = Counter()

    def track(self, obj: object, size: int = 0, name: str | None = None) -> None:
        """Count ``obj`` until it is freed (reference count reaches zero)."""
        cls = name or type(obj).__name__
        with self._lock:
            self._count[cls] += 1
            self._bytes[cls] += size
        weakref.finalize(obj, self._untrack, cls, size)

    def _untrack(self, cls: str, size: int) -> None:
        with self._lock:
            self._count[cls] -= 1
            self._bytes[cls] -= size
            if self._count[cls] <= 0:
                del self._count[cls]
                self._bytes.pop(cls, None)

    def table(self) -> list[dict]:
        with self._lock:
            rows = [{"class": c, "count": n, "bytes": self._bytes[c]} for c, n in self._count.items()]
        return sorted(rows, key=lambda r: (-r["bytes"], r["class"]))


live = LiveObjects()


class Buffer:
    """``size`` bytes of touched memory (image pixels, a model's data...), freed with the object."""

    __slots__ = ("_map", "size", "__weakref__")

    def __init__(self, size: int, kind: str = "Buffer") -> None:
        self.size = max(0, int(size))
        self._map: mmap.mmap | None = None
        if self.size:
            flags = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_ANONYMOUS", 0)
            length = -(-self.size // PAGE) * PAGE
            self._map = mmap.mmap(-1, length, flags=flags) if flags else mmap.mmap(-1, length)
            view = memoryview(self._map)
            view[::PAGE] = b"\x01" * len(range(0, length, PAGE))  # dirty every page
            view.release()
        live.track(self, self.size, kind)

    def __del__(self) -> None:
        if self._map is not None:
            self._map.close()
