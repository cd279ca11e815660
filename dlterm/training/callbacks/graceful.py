"""Ctrl+C and SIGTERM as a request to stop after the current batch (no TensorFlow here)."""

from __future__ import annotations

import signal
import threading
from typing import Any


class GracefulStop:
    """SIGINT/SIGTERM ask the model to stop after the current batch; a second one stops now.

    Signal handlers can only be installed from the main thread; elsewhere (a test calling
    the trainer from a thread) this does nothing and :meth:`request` is the way to stop.
    """

    def __init__(self) -> None:
        self.reason: str | None = None
        self.model: Any = None
        self._previous: dict[int, Any] = {}

    def request(self, reason: str) -> None:
        self.reason = self.reason or reason
        if self.model is not None:
            self.model.stop_training = True

    def _handle(self, signum: int, frame: Any) -> None:
        if self.reason is not None:
            raise KeyboardInterrupt
        self.request(signal.Signals(signum).name)

    def __enter__(self) -> "GracefulStop":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
