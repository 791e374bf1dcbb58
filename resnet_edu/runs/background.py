"""Long jobs the app starts but must not run inside a page's script run (the CIFAR-10 download).

A worker thread does the work and keeps its progress in plain attributes; pages poll them.
It never calls Streamlit.
"""

import threading

from ..data import download_cifar10


class BackgroundDownload:
    """download_cifar10 in a thread: `start()`, then read `done_bytes`, `total_bytes`, `error`, `finished`."""

    def __init__(self, data_dir: str):
        self.data_dir = data_dir
        self.done_bytes, self.total_bytes = 0, None
        self.error: str | None = None
        self.finished = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self.done_bytes, self.total_bytes, self.error, self.finished = 0, None, None, False
            self._thread = threading.Thread(target=self._work, name="resnet-edu-download", daemon=True)
            self._thread.start()

    def fraction(self) -> float:
        return min(1.0, self.done_bytes / self.total_bytes) if self.total_bytes else 0.0

    def _progress(self, done: int, total: int | None) -> None:
        self.done_bytes, self.total_bytes = done, total

    def _work(self) -> None:
        try:
            download_cifar10(self.data_dir, progress=False, on_progress=self._progress, retries=1)
        except Exception as err:  # shown in the page as one line; the app goes on
            self.error = str(err).splitlines()[0] or type(err).__name__
        finally:
            self.finished = True
