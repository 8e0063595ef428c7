"""Capture what native code writes to the process's stdout (file descriptor 1)."""

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def captured_stdout_fd() -> Iterator[list[str]]:
    """Redirect fd 1 to a temporary file; the yielded list receives the text afterwards."""
    sys.stdout.flush()
    saved = os.dup(1)
    captured: list[str] = []
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 1)
        try:
            yield captured
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
            sink.seek(0)
            captured.append(sink.read().decode("utf-8", errors="replace"))
