"""The preview server on a background thread, for tests: `start_preview(...)` builds once and serves; `stop()` ends it.

Import it from test modules (`from preview_harness import ...`); it is test code, not part of the package.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from builder.serve import Preview, PreviewOptions, make_server


class RunningPreview:
    """A preview server on a background thread: `stop()` ends it."""

    def __init__(self, preview: Preview) -> None:
        self.preview = preview
        self.server: Any = make_server(preview)
        self.thread = threading.Thread(target=self.server.run, name="affsite-preview", daemon=True)

    @property
    def url(self) -> str:
        return self.preview.origin

    def start(self, timeout: float = 15.0) -> RunningPreview:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the preview server did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def start_preview(options: PreviewOptions, environ: Mapping[str, str] | None = None) -> RunningPreview:
    """Build once and start serving on a background thread."""
    preview = Preview(options, environ)
    preview.build()
    return RunningPreview(preview).start()
