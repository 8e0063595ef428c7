"""Step bodies for the tests of threadpact.gate.bounded (importable by the child process)."""

import os
import subprocess
import sys
import time
from pathlib import Path

from threadpact.errors import UsageError
from threadpact.gate.activity import doing
from threadpact.gate.report import StepResult


def passes() -> StepResult:
    doing("nothing much")
    return StepResult("quick", "passed", 0.0, "done")


def hangs(pid_file: Path) -> StepResult:
    """Start a grandchild that would outlive us, say so, then never return."""
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    pid_file.write_text(str(grandchild.pid))
    doing("waiting for the answer to GET /threads")
    time.sleep(120)
    return StepResult("slow", "passed")


def refuses() -> StepResult:
    raise UsageError("no such pact directory")


def crashes() -> StepResult:
    raise RuntimeError("a bug in a step")


def vanishes() -> StepResult:
    os._exit(3)
