"""What a running step is doing right now, told to whoever supervises it.

A step calls :func:`doing` as it moves on ("verifying 'a request to create a
thread'", "fuzzing POST /threads"). Run by :func:`threadpact.gate.bounded.run_in_child`,
the text reaches the gate, which quotes the last one when a deadline expires or the
provider breaks. Run in-process, it goes nowhere.
"""

import threading
from collections.abc import Callable

Reporter = Callable[[str], None]

_lock = threading.Lock()
_reporter: Reporter | None = None


def report_to(reporter: Reporter | None) -> None:
    """Send every later :func:`doing` to ``reporter`` (``None``: to nobody)."""
    global _reporter  # noqa: PLW0603 - one reporter per process, set by the step's runner
    with _lock:
        _reporter = reporter


def doing(text: str) -> None:
    """Say what the step is doing now; safe from any thread."""
    with _lock:
        if _reporter is not None:
            _reporter(text)
