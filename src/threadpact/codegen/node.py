"""threadpact's own Node tools: installed once from the lockfile it ships, then run with node.

The package.json and package-lock.json in ``threadpact/codegen/npm/`` pin
openapi-typescript and typescript. On first use ``npm ci`` installs them into
``$THREADPACT_NODE_CACHE/<digest of both files>/`` (default: ``$XDG_CACHE_HOME/threadpact/node``,
else ``~/.cache/threadpact/node``); later runs find the folder and only start ``node``.
The install goes to a scratch folder renamed into place, so a half-finished or
concurrent install is never used.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from threadpact.errors import UsageError

CACHE_VARIABLE = "THREADPACT_NODE_CACHE"
MINIMUM_NODE = 20
MANIFESTS = ("package.json", "package-lock.json")
INSTALLED = "threadpact-installed"
"""Written into an install once ``npm ci`` succeeded."""
NEEDS = f"TypeScript generation needs Node {MINIMUM_NODE}+ and npm"
QUIET = {"NO_COLOR": "1", "FORCE_COLOR": "0", "npm_config_update_notifier": "false"}


def manifests() -> dict[str, bytes]:
    """The shipped package.json and package-lock.json, by name."""
    folder = resources.files("threadpact.codegen") / "npm"
    return {name: (folder / name).read_bytes() for name in MANIFESTS}


def digest() -> str:
    """A short hash of the shipped manifests: which install a cache folder holds."""
    hashed = hashlib.sha256()
    for name, content in manifests().items():
        hashed.update(name.encode() + b"\0" + content + b"\0")
    return hashed.hexdigest()[:16]


def cache_root() -> Path:
    """Where installs live: ``$THREADPACT_NODE_CACHE``, else the user's cache folder."""
    given = os.environ.get(CACHE_VARIABLE)
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "threadpact" / "node"


def node_executable() -> str:
    """The ``node`` on PATH, if it is Node 20 or later; a one-line usage error otherwise."""
    node = shutil.which("node")
    if node is None:
        raise UsageError(f"{NEEDS}: node is not on PATH")
    try:
        version = subprocess.run(
            [node, "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        raise UsageError(f"{NEEDS}: {node} --version failed: {exc}") from None
    major = re.match(r"v?(\d+)\.", version)
    if major is None or int(major.group(1)) < MINIMUM_NODE:
        raise UsageError(f"{NEEDS}: {node} is {version or 'of unknown version'}")
    return node


def npm_executable() -> str:
    """The ``npm`` on PATH; a one-line usage error without it."""
    npm = shutil.which("npm")
    if npm is None:
        raise UsageError(f"{NEEDS}: npm is not on PATH")
    return npm


def install(folder: Path) -> None:
    """``npm ci`` of the shipped manifests into ``folder``, which must not exist yet."""
    npm = npm_executable()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
    staging.chmod(0o755)  # readable like any install, once renamed into place
    try:
        for name, content in manifests().items():
            (staging / name).write_bytes(content)
        print(f"threadpact: installing its Node tools into {folder} (once)", file=sys.stderr)
        done = subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=staging,
            env={**os.environ, **QUIET},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            raise UsageError(f"{NEEDS}: npm ci failed: {lines[-1] if lines else 'no message'}")
        (staging / INSTALLED).write_text("npm ci\n", encoding="utf-8")
        try:
            staging.rename(folder)
        except OSError:
            if not (folder / INSTALLED).is_file():  # not another run winning the race
                raise UsageError(
                    f"{folder} exists but holds no complete install of threadpact's Node "
                    "tools; delete it"
                ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def installed() -> Path:
    """The ``node_modules`` folder of threadpact's Node tools, installing them if needed."""
    folder = cache_root() / digest()
    if not (folder / INSTALLED).is_file():
        install(folder)
    return folder / "node_modules"


def run_node(script: str, args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """``node node_modules/SCRIPT ARGS`` in ``cwd``, its output captured as bytes."""
    node = node_executable()
    entry = installed() / script
    return subprocess.run(
        [node, str(entry), *args],
        cwd=cwd,
        env={**os.environ, **QUIET},
        capture_output=True,
        check=False,
    )
