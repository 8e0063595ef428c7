"""Silence what native code writes straight to the process's stdout and stderr.

Pact's verifier prints its own progress and retry notices on file descriptors 1
and 2; threadpact reads the verifier's results instead, so that text would only
garble the gate's output.
"""

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_output_silenced() -> Iterator[None]:
    """Point fds 1 and 2 at /dev/null for the duration, then restore them."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)
        os.close(null)
