"""Watch a provider while the gate talks to it: has it exited, hung, or gone 5xx?

A background thread probes ``GET {base_url}/`` once a second, on a fresh
connection, without credentials. Any answer below 500 is a healthy answer (a 404
or 401 is fine): the contract allows no 5xx for any input, so a 5xx there is the
provider's fault. The provider counts as broken, for good, when:

- the process the gate started has exited;
- it refuses connections ``REFUSED_PROBES`` times in a row;
- it answers nothing within ``PROBE_TIMEOUT`` seconds ``SILENT_PROBES`` times in a
  row, although it may still accept connections;
- it answers 5xx ``FAILED_PROBES`` times in a row.
"""

import subprocess
import threading
from collections import deque
from pathlib import Path

import httpx

PROBE_INTERVAL = 1.0
PROBE_TIMEOUT = 5.0
REFUSED_PROBES = 3
SILENT_PROBES = 2
FAILED_PROBES = 3
LOG_LINES = 30


def log_tail(log: Path | None, lines: int = LOG_LINES) -> str:
    """The last ``lines`` lines of a log file, or a note saying why there are none."""
    if log is None:
        return "(the gate did not start this provider, so it has no log of it)"
    try:
        with log.open(errors="replace") as handle:
            tail = deque(handle, maxlen=lines)
    except OSError as exc:
        return f"(cannot read {log}: {exc.strerror})"
    return "".join(tail).rstrip() or "(the provider wrote nothing to its log)"


class ProviderMonitor:
    """Probes a provider in the background; :meth:`trouble` says what broke, if anything."""

    def __init__(
        self,
        base_url: str,
        *,
        process: subprocess.Popen[bytes] | None = None,
        log: Path | None = None,
        interval: float = PROBE_INTERVAL,
        probe_timeout: float = PROBE_TIMEOUT,
    ) -> None:
        self.url = base_url.rstrip("/") + "/"
        self.process = process
        self.log = log
        self.interval = interval
        self.probe_timeout = probe_timeout
        self._trouble: str | None = None
        self._streak: tuple[str, int] = ("", 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="provider-monitor", daemon=True)

    def __enter__(self) -> "ProviderMonitor":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(self.probe_timeout + 1)

    def trouble(self) -> str | None:
        """What is wrong with the provider, or ``None`` while it looks healthy."""
        if self._trouble is None and self.process is not None:
            code = self.process.poll()
            if code is not None:
                self._trouble = f"process exited with code {code}"
        return self._trouble

    def log_tail(self) -> str:
        """The provider's last log lines (only for a provider the gate started)."""
        return log_tail(self.log)

    def _run(self) -> None:
        while not self._stop.wait(self.interval) and self.trouble() is None:
            self._trouble = self.probe()

    def probe(self) -> str | None:
        """One probe; the trouble it completes, if any."""
        try:
            answer = httpx.get(self.url, timeout=self.probe_timeout)
        except httpx.TimeoutException:
            return self._count(
                "silent",
                SILENT_PROBES,
                f"stopped answering (GET {self.url} had no answer within "
                f"{self.probe_timeout:g} s, {SILENT_PROBES} times in a row)",
            )
        except httpx.TransportError as exc:
            return self._count(
                "refused",
                REFUSED_PROBES,
                f"stopped accepting connections (GET {self.url}: {exc}, "
                f"{REFUSED_PROBES} times in a row)",
            )
        if answer.status_code >= 500:
            return self._count(
                "5xx",
                FAILED_PROBES,
                f"answers 5xx to everything (GET {self.url} answered {answer.status_code}, "
                f"{FAILED_PROBES} times in a row)",
            )
        self._streak = ("", 0)
        return None

    def _count(self, kind: str, limit: int, trouble: str) -> str | None:
        last, count = self._streak
        count = count + 1 if last == kind else 1
        self._streak = (kind, count)
        return trouble if count >= limit else None
