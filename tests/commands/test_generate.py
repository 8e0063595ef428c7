"""`threadpact generate --check` passes on the committed tree and fails on a stale copy."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.processes import ROOT, run_threadpact

GENERATED = Path("generated/threadpact_models/__init__.py")
TYPES = Path("examples/typescript-client/src/api-types.ts")


def threadpact(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_threadpact(*args, cwd=cwd, timeout=120)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the files code generation reads and writes."""
    for name in ("pyproject.toml", "openapi.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(
        ROOT / "generated", tmp_path / "generated", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / TYPES).parent.mkdir(parents=True)
    shutil.copy(ROOT / TYPES, tmp_path / TYPES)
    return tmp_path


def test_committed_models_are_current() -> None:
    done = threadpact("generate", "--check", cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        f"{GENERATED} is up to date with openapi.yaml",
        f"{TYPES} is up to date with openapi.yaml",
    ]


def test_hand_edited_models_are_caught(checkout: Path) -> None:
    target = checkout / GENERATED
    target.write_text(target.read_text().replace("title: Annotated[", "title_typo: Annotated[", 1))
    done = threadpact("generate", "--check", cwd=checkout)
    assert done.returncode == 1
    assert "-    title_typo: Annotated[" in done.stdout
    assert "+    title: Annotated[" in done.stdout
    assert done.stderr.strip() == (
        f"{GENERATED} is stale: run `threadpact generate` and commit the result"
    )


def test_a_spec_change_makes_models_stale_until_regenerated(checkout: Path) -> None:
    spec = checkout / "openapi.yaml"
    title = "No control characters.\n      maxLength: 200"
    assert title in spec.read_text()
    spec.write_text(spec.read_text().replace(title, title.replace("200", "300")))
    stale = threadpact("generate", "--check", cwd=checkout)
    assert stale.returncode == 1
    assert "max_length=300" in stale.stdout
    assert threadpact("generate", cwd=checkout).returncode == 0
    assert threadpact("generate", "--check", cwd=checkout).returncode == 0


def test_regeneration_is_byte_for_byte_reproducible(checkout: Path) -> None:
    assert threadpact("generate", cwd=checkout).returncode == 0
    assert (checkout / GENERATED).read_bytes() == (ROOT / GENERATED).read_bytes()


@pytest.mark.parametrize(
    ("spec_text", "message"),
    [
        ("openapi: 3.1.0\ninfo: [unclosed\n", "not valid YAML at line"),
        ("openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n", "invalid OpenAPI at /info"),
        ("- a list\n", "must be a YAML or JSON object"),
    ],
)
def test_a_broken_spec_is_one_line_and_exit_2(checkout: Path, spec_text: str, message: str) -> None:
    (checkout / "openapi.yaml").write_text(spec_text)
    done = threadpact("generate", "--check", cwd=checkout)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
