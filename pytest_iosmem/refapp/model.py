"""The reference app's screens and the leaks they reproduce.

The app runs without Python's cycle collector (see ``__main__``), because an
iOS app under ARC has none: memory is freed when the last strong reference
goes, and a reference cycle is never freed.  Each leaky screen keeps its
controller (and the buffer it owns) alive the way iOS apps really do:

==================  ============================================================
screen              what keeps the memory alive
==================  ============================================================
Timer Detail        a repeating timer on the app's run loop retains its target
Retain Cycle        the controller's completion closure captures the controller
Observer            a notification observer that is never removed
Purging Cache       an image cache that empties on a memory warning (well behaved)
Stubborn Cache      an image cache that ignores memory warnings
Burst               nothing: large short-lived allocations (a peak, not a leak)
Map                 annotations added to a shared map view, never cleared
Photo Detail        a completion block kept by the app-wide image loader captures
                    the controller: one small object (256 B) per visit
Clean               nothing: allocator noise, freed when the screen closes
Feed                a random-size transient load per visit that the malloc zone
                    keeps (a high-water mark, not a leak); ``--size feed=SIZE``
                    adds a real leak of SIZE per visit
==================  ============================================================
"""

from __future__ import annotations

import gc
import random
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Callable

from .memory import Buffer, Tracked, split_pages

__all__ = ["SCREENS", "SCREEN_KEYS", "Config", "App"]

KB = 1000
MB = 1000 * 1000

#: screen title -> key used by ``--size KEY=SIZE``
SCREEN_KEYS = {
    "Timer Detail": "timer",
    "Retain Cycle": "cycle",
    "Observer": "observer",
    "Purging Cache": "purging_cache",
    "Stubborn Cache": "stubborn_cache",
    "Burst": "burst",
    "Map": "map",
    "Photo Detail": "detail",
    "Clean": "clean",
    "Feed": "feed",
}
SCREENS = tuple(SCREEN_KEYS)


@dataclass
class Config:
    """What the app was started with (``--leak-size``, ``--size``, ``--noise``...); sizes in bytes."""

    leak_size: int = 512 * 1024  # retained per visit by each leaky screen
    sizes: dict[str, int] = field(default_factory=dict)  # per-screen overrides
    burst_size: int = 40 * MB
    detail_size: int = 256  # the Photo Detail controller's own bytes: far below any footprint limit
    burst_hold: float = 0.3  # seconds the burst is held
    noise: int = 64 * 1024  # transient allocator noise per visit (upper bound)
    seed: int | None = None
    bundle_id: str = "com.example.refapp"
    #: range of the Feed screen's transient load per visit (bytes), uniformly random;
    #: None: no Feed screen on the home screen (``--churn`` shows it)
    churn: tuple[int, int] | None = None
    #: memory the app holds from launch (assets, frameworks): sets the footprint's size
    ballast: int = 0
    #: the "regressed build": an app-wide cache this many bytes larger than the unchanged build's
    #: (``--regress SIZE``), held for the app's life, so an A/B run has a known shift to find
    regress: int = 0

    def size_of(self, key: str) -> int:
        """Bytes a visit of screen ``key`` allocates (retained, or transient for burst and clean)."""
        if key in self.sizes:
            return self.sizes[key]
        if key == "burst":
            return self.burst_size
        if key == "detail":
            return self.detail_size
        if key == "clean":
            return self.noise
        if key == "feed":
            return 0  # the Feed screen leaks only when asked to (--size feed=SIZE)
        return self.leak_size


class ViewController(Tracked):
    """A screen on the navigation stack; owns a buffer of its screen's size.

    Like a UIViewController, every live instance (on screen or leaked) hears
    memory warnings: the app keeps a weak set of them, as UIKit's
    notification does not retain its observers.
    """

    def __init__(self, app: "App", title: str, size: int) -> None:
        self.app = app
        self.title = title
        self.buffer = Buffer(size, f"{type(self).__name__}.buffer") if size else None
        self.warnings = 0
        app.controllers.add(self)

    def did_appear(self) -> None:
        pass

    def will_disappear(self) -> None:
        pass

    def did_receive_memory_warning(self) -> None:
        """Counted only: a screen's own buffer is its content, not a cache, so it stays."""
        self.warnings += 1


class HomeViewController(ViewController):
    pass


class TimerDetailViewController(ViewController):
    def did_appear(self) -> None:
        # scheduledTimer(target: self, selector: #selector(tick), repeats: true)
        self.app.run_loop.schedule(RepeatingTimer(self.tick, interval=1.0))

    def tick(self) -> None:
        self.ticks = getattr(self, "ticks", 0) + 1


class RepeatingTimer(Tracked):
    """Like an NSTimer: the run loop retains it, and it retains its target."""

    def __init__(self, action: Callable[[], None], interval: float) -> None:
        self.action = action  # a bound method: a strong reference to the target
        self.interval = interval


class RetainCycleViewController(ViewController):
    def did_appear(self) -> None:
        # self.onDone = { self.dismiss() }  -- the closure captures self strongly
        self.on_done = Closure(lambda: self.will_disappear())


class Closure(Tracked):
    def __init__(self, body: Callable[[], None]) -> None:
        self.body = body


class ObserverViewController(ViewController):
    def did_appear(self) -> None:
        # NotificationCenter.default.addObserver(self, ...) and never removeObserver
        self.app.notifications.add_observer("SettingsChanged", self.settings_changed)

    def settings_changed(self) -> None:
        pass


class ImageCache:
    """An app-wide image cache; ``purges_on_warning`` is the difference between the two cache screens."""

    def __init__(self, name: str, purges_on_warning: bool) -> None:
        self.name = name
        self.purges_on_warning = purges_on_warning
        self.images: list[Buffer] = []

    def add(self, size: int) -> None:
        self.images.append(Buffer(size, f"{self.name}.UIImage"))

    def memory_warning(self) -> None:
        if self.purges_on_warning:
            self.images.clear()


class CacheViewController(ViewController):
    cache_name = "PurgingCache"

    def __init__(self, app: "App", title: str, size: int) -> None:
        super().__init__(app, title, 0)  # the memory goes to the cache, not the screen
        self.image_size = size

    def did_appear(self) -> None:
        self.app.caches[self.cache_name].add(self.image_size)


class PurgingCacheViewController(CacheViewController):
    cache_name = "PurgingCache"


class StubbornCacheViewController(CacheViewController):
    cache_name = "StubbornCache"


class BurstViewController(ViewController):
    """Decodes a burst of large images, uses them, lets them go: a peak, not a leak."""

    def __init__(self, app: "App", title: str, size: int) -> None:
        super().__init__(app, title, 0)
        self.burst_size = size

    def did_appear(self) -> None:
        chunk = 4 * MB
        burst = [Buffer(min(chunk, self.burst_size - i), "DecodedImage") for i in range(0, self.burst_size, chunk)]
        time.sleep(self.app.config.burst_hold)
        del burst


class MapViewController(ViewController):
    annotations_per_visit = 16

    def __init__(self, app: "App", title: str, size: int) -> None:
        super().__init__(app, title, 0)
        self.leak = size

    def did_appear(self) -> None:
        # whole pages per annotation, so the visit retains exactly its size (see split_pages)
        for size in split_pages(self.leak, self.annotations_per_visit):
            self.app.shared_map_view.append(Annotation(size))


class Annotation(Tracked):
    """An MKPointAnnotation with its callout image."""

    live_name = "MKPointAnnotation"
    __slots__ = ("image",)

    def __init__(self, size: int) -> None:
        self.image = Buffer(size, "MKAnnotationView.image")


class PhotoDetailViewController(ViewController):
    """Shows one photo, asked of the app-wide image loader with a completion block.

    ``imageLoader.load(url) { image in self.imageView.image = image }`` without
    ``[weak self]``: the loader keeps its completion blocks (the request is
    never cancelled when the screen goes), so every visit leaves one
    controller alive — a small object (its photo's metadata, ``size`` bytes),
    far below any footprint limit, that only counting objects finds.
    """

    def __init__(self, app: "App", title: str, size: int) -> None:
        super().__init__(app, title, 0)
        self.metadata = bytearray(size)  # on the heap, not a page-sized buffer: a small object
        self.track_bytes(size)

    def did_appear(self) -> None:
        self.app.image_loader.load(Closure(lambda: self.show_photo()))

    def show_photo(self) -> None:
        pass


class ImageLoader:
    """The app-wide image loader: keeps the completion block of every request it was given."""

    def __init__(self) -> None:
        self.completions: list[Closure] = []

    def load(self, completion: Closure) -> None:
        self.completions.append(completion)


class CleanViewController(ViewController):
    """Allocates and frees noise while it is shown; nothing survives it."""

    def __init__(self, app: "App", title: str, size: int) -> None:
        super().__init__(app, title, 0)
        self.noise_size = size

    def did_appear(self) -> None:
        self.scratch = self.app.noise_buffers(self.noise_size)

    def will_disappear(self) -> None:
        self.scratch = []


class MallocZone:
    """A malloc zone that keeps the pages it has handed out, as allocators do.

    Freed blocks go back to the zone, not to the OS: the footprint rises to
    the largest load ever asked for (its high-water mark) and stays there.
    A series of loads of random size therefore raises the footprint in
    steps, like a running maximum — monotonic, but not a leak.
    """

    def __init__(self) -> None:
        self.pages: list[Buffer] = []
        self.capacity = 0

    def load(self, size: int) -> None:
        """Use ``size`` bytes for a while (then give them back to the zone)."""
        if size > self.capacity:
            grow = Buffer(size - self.capacity, "MallocZone")
            self.pages.append(grow)
            self.capacity += grow.size


class FeedViewController(ViewController):
    """Loads a feed of random size each visit (transient, kept by the zone).

    With ``--size feed=SIZE`` it also appends SIZE of items to an app-wide
    history that is never trimmed: a real leak under the high-water mark.
    """

    def __init__(self, app: "App", title: str, size: int) -> None:
        super().__init__(app, title, 0)
        self.leak = size

    def did_appear(self) -> None:
        low, high = self.app.config.churn or (1 * MB, 2 * MB)
        self.app.zone.load(int(self.app.rng.uniform(low, high)))
        if self.leak:
            self.app.feed_history.append(Buffer(self.leak, "FeedItem"))


_CONTROLLERS: dict[str, type[ViewController]] = {
    "Timer Detail": TimerDetailViewController,
    "Retain Cycle": RetainCycleViewController,
    "Observer": ObserverViewController,
    "Purging Cache": PurgingCacheViewController,
    "Stubborn Cache": StubbornCacheViewController,
    "Burst": BurstViewController,
    "Map": MapViewController,
    "Photo Detail": PhotoDetailViewController,
    "Clean": CleanViewController,
    "Feed": FeedViewController,
}


class RunLoop:
    """The main run loop's timers; a background thread fires them like NSRunLoop."""

    def __init__(self) -> None:
        self.timers: list[RepeatingTimer] = []

    def schedule(self, timer: RepeatingTimer) -> None:
        self.timers.append(timer)

    def fire_due(self) -> None:
        for t in list(self.timers):
            t.action()


class NotificationCenter:
    def __init__(self) -> None:
        self.observers: dict[str, list[Callable[[], None]]] = {}

    def add_observer(self, name: str, callback: Callable[[], None]) -> None:
        self.observers.setdefault(name, []).append(callback)

    def post(self, name: str) -> None:
        for cb in list(self.observers.get(name, [])):
            cb()


class App:
    """State of the running app. Every method is called with ``lock`` held."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.rng = random.Random(config.seed)
        self.controllers: weakref.WeakSet[ViewController] = weakref.WeakSet()
        self.generation = 0  # bumped whenever what is on screen changes: element ids go stale
        self.launch()

    # -- lifecycle ------------------------------------------------------------------
    def launch(self) -> None:
        """A fresh app: what a relaunch by WebDriverAgent gives.

        A relaunch is a new process on iOS, so nothing survives it: after the
        old object graph is dropped, a collection frees what only leaked
        cycles still held (the app otherwise runs without the cycle collector).
        """
        fresh = not hasattr(self, "stack")
        self.state = 4  # XCUIApplicationStateRunningForeground
        self.run_loop = RunLoop()
        self.notifications = NotificationCenter()
        self.caches = {
            "PurgingCache": ImageCache("PurgingCache", purges_on_warning=True),
            "StubbornCache": ImageCache("StubbornCache", purges_on_warning=False),
        }
        self.shared_map_view: list[Annotation] = []
        self.zone = MallocZone()
        self.feed_history: list[Buffer] = []
        self.assets = Buffer(self.config.ballast, "AppAssets") if self.config.ballast else None
        self.image_loader = ImageLoader()
        # A pull request that made a cache bigger (the "head" build of an A/B demonstration).
        self.preload_cache = Buffer(self.config.regress, "PreloadCache") if self.config.regress else None
        self.stack: list[ViewController] = [HomeViewController(self, "Memory Lab", 0)]
        self.warnings = 0
        self.generation += 1
        if not fresh:
            gc.collect()

    def terminate(self) -> None:
        """Killed: everything it retained is gone."""
        self.launch()
        self.state = 1  # XCUIApplicationStateNotRunning

    def activate(self) -> None:
        """Brought to the foreground; launched fresh if it was not running (like WDA's apps/launch)."""
        if self.state == 1:
            self.launch()
        self.state = 4
        self.generation += 1

    def background(self) -> None:
        """The home screen was pressed: still alive, memory and all, but not on screen."""
        if self.state == 4:
            self.state = 3  # XCUIApplicationStateRunningBackground
            self.generation += 1

    # -- navigation ------------------------------------------------------------------
    @property
    def home_screens(self) -> tuple[str, ...]:
        """The home screen's buttons: the Feed screen only when the app was started with ``--churn``."""
        return SCREENS if self.config.churn else tuple(t for t in SCREENS if t != "Feed")

    @property
    def top(self) -> ViewController:
        return self.stack[-1]

    def open(self, title: str) -> None:
        key = SCREEN_KEYS[title]
        vc = _CONTROLLERS[title](self, title, self.config.size_of(key))
        self.stack.append(vc)
        self.generation += 1
        self.noise_buffers(self.config.noise)  # transient: freed right away
        vc.did_appear()

    def back(self) -> None:
        if len(self.stack) > 1:
            vc = self.stack.pop()
            self.generation += 1
            vc.will_disappear()

    # -- memory ----------------------------------------------------------------------
    def noise_buffers(self, upper: int) -> list:
        """Allocator noise: a random amount of short-lived small objects and one buffer."""
        if upper <= 0:
            return []
        amount = self.rng.randrange(0, upper + 1)
        small = [bytearray(self.rng.randrange(16, 512)) for _ in range(self.rng.randrange(0, 200))]
        return [Buffer(amount, "NoiseBuffer"), small]

    def memory_warning(self) -> None:
        """UIApplicationDidReceiveMemoryWarning: the app-wide caches, then every live view controller."""
        self.warnings += 1
        for cache in self.caches.values():
            cache.memory_warning()
        for vc in list(self.controllers):
            vc.did_receive_memory_warning()
