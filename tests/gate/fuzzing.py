"""Run ``threadpact fuzz`` as a real process against a real server, and read what it says."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from tests.fixtures.processes import ROOT, TOKENS, Server, free_port, start_process

QUICK = ("--max-examples", "5", "--phases", "examples")
"""A small budget: the spec's examples create a thread and a message, which every rule needs."""
BOUNDARIES = ("--max-examples", "5", "--phases", "examples,coverage")
"""Adds the coverage phase, which sends boundary values such as the longest title."""
RULE = re.compile(r"^\[([a-z_.-]+)\] ", re.MULTILINE)


@dataclass(frozen=True)
class FuzzRun:
    """What one ``threadpact fuzz`` run printed and wrote."""

    returncode: int
    stdout: str
    stderr: str
    report: Path

    @property
    def rules(self) -> set[str]:
        """The rules the findings name."""
        return set(RULE.findall(self.stdout))

    def junit_failures(self) -> set[str]:
        """The rule (failure type) of every JUnit failure."""
        root = ET.parse(self.report / "fuzz.xml").getroot()
        return {node.get("type", "") for node in root.iter("failure")}

    def everything(self) -> str:
        """All output and both reports, to look for leaked tokens."""
        reports = "".join(path.read_text() for path in sorted(self.report.glob("fuzz.*")))
        return self.stdout + self.stderr + reports


def start_broken(bug: str, folder: Path) -> Server:
    """The small in-memory provider of tests/gate/broken_providers.py with one bug."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "tests.gate.broken_providers:app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    return start_process(command, port, folder / f"broken-{bug or 'none'}.log", {"BUG": bug})


def fuzz(server: Server, folder: Path, *options: str, principals: int = 2) -> FuzzRun:
    """``threadpact fuzz`` against ``server`` as alice (and bob), with a report."""
    report = folder / "report"
    tokens = [arg for name in list(TOKENS)[:principals] for arg in ("--token", TOKENS[name])]
    command = [
        sys.executable, "-m", "threadpact", "fuzz",
        "--base-url", server.base_url, *tokens,
        "--spec", str(ROOT / "openapi.yaml"), "--report", str(report), *options,
    ]  # fmt: skip
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=240, cwd=folder
    )
    return FuzzRun(done.returncode, done.stdout, done.stderr, report)


def replay(script: Path, bug: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """Run a reproduction script against a fresh provider with ``bug`` ("" for none)."""
    server = start_broken(bug, folder)
    env = {
        **os.environ,
        "TOKEN_A": TOKENS["alice"],
        "TOKEN_B": TOKENS["bob"],
        "BASE_URL": server.base_url,
    }
    try:
        return subprocess.run(
            ["sh", str(script)], env=env, capture_output=True, text=True, timeout=60, check=False
        )
    finally:
        server.stop()


def scripts_of(report: Path, rules: set[str]) -> list[Path]:
    """The reproduction scripts of the findings of ``rules`` (named ``<rule>-<operation>.sh``)."""
    return [
        script
        for script in sorted((report / "repro").glob("*.sh"))
        if any(script.name.startswith(f"{rule}-") for rule in rules)
    ]
