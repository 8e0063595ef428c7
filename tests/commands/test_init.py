"""`threadpact init`: a repository set up in one command, and nothing of the user's lost."""

import subprocess
from pathlib import Path

import yaml

from tests.fixtures.processes import ROOT, run_threadpact
from threadpact.config import load_config

WRITTEN = ["threadpact.toml", ".github/workflows/threadpact.yml", ".pre-commit-config.yaml"]


def threadpact(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_threadpact(*args, cwd=cwd, timeout=120)


def test_init_writes_a_working_setup(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    done = threadpact("init", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name in WRITTEN:
        assert (tmp_path / name).is_file(), name
        assert f"wrote {name}" in done.stdout
    assert (tmp_path / "openapi.yaml").read_bytes() == (ROOT / "openapi.yaml").read_bytes()

    loaded = load_config(start=tmp_path)
    assert loaded.source == tmp_path / "threadpact.toml"
    assert loaded.config.generate.pydantic is not None

    workflow = yaml.safe_load((tmp_path / WRITTEN[1]).read_text())
    steps = workflow["jobs"]["gate"]["steps"]
    assert any("threadpact gate" in step.get("run", "") for step in steps)
    assert any('"threadpact==' in step.get("run", "") for step in steps)
    hooks = yaml.safe_load((tmp_path / WRITTEN[2]).read_text())["repos"][0]["hooks"]
    assert {hook["entry"] for hook in hooks} == {"threadpact generate --check", "threadpact lint"}

    assert threadpact("lint", cwd=tmp_path).returncode == 0
    assert threadpact("generate", "--check", cwd=tmp_path).returncode == 1  # not generated yet
    assert threadpact("generate", cwd=tmp_path).returncode == 0
    check = threadpact("generate", "--check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")
    done = threadpact("init", str(tmp_path), cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"threadpact: {tmp_path / '.pre-commit-config.yaml'} exists; pass --force to overwrite it"
    )
    assert not (tmp_path / "threadpact.toml").exists()  # nothing written at all
    assert (tmp_path / ".pre-commit-config.yaml").read_text() == "repos: []\n"

    forced = threadpact("init", str(tmp_path), "--force", cwd=ROOT)
    assert forced.returncode == 0, forced.stderr
    assert "threadpact-lint" in (tmp_path / ".pre-commit-config.yaml").read_text()


def test_init_keeps_an_existing_spec_even_with_force(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text("openapi: 3.0.3\n")
    done = threadpact("init", str(tmp_path), "--force", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "kept openapi.yaml" in done.stdout
    assert (tmp_path / "openapi.yaml").read_text() == "openapi: 3.0.3\n"


def test_init_refuses_a_repository_configured_in_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.threadpact]\n")
    done = threadpact("init", str(tmp_path), "--force", cwd=ROOT)
    assert done.returncode == 2
    assert "already configures threadpact ([tool.threadpact])" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "threadpact.toml").exists()


def test_init_into_a_missing_folder_is_exit_2(tmp_path: Path) -> None:
    done = threadpact("init", str(tmp_path / "nope"), cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.strip() == f"threadpact: {tmp_path / 'nope'}: no such directory"


def test_the_templates_typescript_example_is_a_valid_configuration(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    assert threadpact("init", cwd=tmp_path).returncode == 0
    written = (tmp_path / "threadpact.toml").read_text()
    example = "# [generate.typescript]\n# output = "
    assert example in written
    start = written.index(example)
    block = written[start : written.index("\n\n", start)]
    uncommented = "\n".join(
        line.removeprefix("# ").removeprefix("#") for line in block.splitlines()
    )
    (tmp_path / "threadpact.toml").write_text(
        written[:start] + uncommented + written[start + len(block) :]
    )
    typescript = load_config(start=tmp_path).config.generate.typescript
    assert typescript is not None
    assert typescript.output == Path("web/src/api-types.ts")
    assert typescript.options["immutable"] is True
    assert typescript.options["root-types-no-schema-prefix"] is True
