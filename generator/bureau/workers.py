"""A bounded pool of worker processes for builds, with each waiting job's place in the queue.

On the deadline day 300 units may press 生成 within minutes: at most ``workers`` builds run at
once, in processes of their own (the server's own thread keeps answering pages), and the others
wait in order. A job is known by a key (one per unit); :meth:`WorkQueue.place` says where it is.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor

RUNNING = 0


class WorkQueue:
    """Runs ``fn(*args)`` jobs in at most ``workers`` processes, first come first served.
    ``done(key, future)`` is called (in a background thread) as each job ends."""

    def __init__(self, workers: int, done: Callable[[str, Future], None]):
        self.workers = workers
        self._done = done
        # spawn: a forked copy of a threaded server can inherit a held lock and hang.
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        self._waiting: deque[tuple[str, Callable, tuple]] = deque()
        self._running: set[str] = set()
        self._lock = threading.Lock()

    def submit(self, key: str, fn: Callable, *args) -> bool:
        """Queue a job under ``key``; False (nothing queued) when that key is already queued or
        running."""
        with self._lock:
            if key in self._running or any(k == key for k, _, _ in self._waiting):
                return False
            self._waiting.append((key, fn, args))
        self._pump()
        return True

    def place(self, key: str) -> int | None:
        """:data:`RUNNING` (0) while the job runs, its place in the queue (1 = next) while it
        waits, None when it is neither."""
        with self._lock:
            if key in self._running:
                return RUNNING
            return next((i for i, (k, _, _) in enumerate(self._waiting, 1) if k == key), None)

    def _pump(self) -> None:
        with self._lock:
            while self._waiting and len(self._running) < self.workers:
                key, fn, args = self._waiting.popleft()
                self._running.add(key)
                self._pool.submit(fn, *args).add_done_callback(lambda f, k=key: self._finished(k, f))

    def _finished(self, key: str, future: Future) -> None:
        try:
            self._done(key, future)
        finally:
            with self._lock:
                self._running.discard(key)
            self._pump()

    def shutdown(self) -> None:
        """Drop the waiting jobs and wait for the running ones."""
        with self._lock:
            self._waiting.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)
