"""The configuration: where it is found, what it may say, and one clear line when it is wrong."""

from pathlib import Path

import pytest

from threadpact.config import DEFAULT_TOKEN_VARIABLES, TYPESCRIPT_DEFAULTS, load_config
from threadpact.errors import UsageError


def repository(tmp_path: Path) -> Path:
    """An empty git repository (its root stops the search)."""
    (tmp_path / ".git").mkdir()
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def problem(tmp_path: Path, text: str, name: str = "threadpact.toml") -> str:
    root = tmp_path if (tmp_path / ".git").exists() else repository(tmp_path)
    write(root, name, text)
    with pytest.raises(UsageError) as raised:
        load_config(start=root)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_without_a_file_every_key_has_its_default(tmp_path: Path) -> None:
    loaded = load_config(start=repository(tmp_path))
    assert loaded.source is None
    assert loaded.root == tmp_path.resolve()
    assert loaded.config.spec == Path("openapi.yaml")
    assert loaded.config.pacts == ()
    assert loaded.config.provider is None
    assert loaded.config.generate.pydantic is None
    assert loaded.config.generate.typescript is None


def test_threadpact_toml_is_found_from_a_subfolder_and_paths_are_relative_to_it(
    tmp_path: Path,
) -> None:
    root = repository(tmp_path)
    write(root, "threadpact.toml", 'spec = "api/spec.yaml"\n')
    deep = root / "a" / "b"
    deep.mkdir(parents=True)
    loaded = load_config(start=deep)
    assert loaded.source == root / "threadpact.toml"
    assert loaded.path(loaded.config.spec) == root / "api" / "spec.yaml"


def test_pyproject_counts_only_with_a_tool_threadpact_table(tmp_path: Path) -> None:
    root = repository(tmp_path)
    write(root, "pyproject.toml", '[project]\nname = "x"\n')
    assert load_config(start=root).source is None
    write(root, "pyproject.toml", '[tool.threadpact]\nspec = "other.yaml"\n')
    loaded = load_config(start=root)
    assert loaded.source == root / "pyproject.toml"
    assert loaded.config.spec == Path("other.yaml")


def test_the_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    write(tmp_path, "threadpact.toml", 'spec = "outside.yaml"\n')
    (tmp_path / "repo").mkdir()
    inner = repository(tmp_path / "repo")
    assert load_config(start=inner).source is None


def test_both_files_in_one_folder_is_an_error(tmp_path: Path) -> None:
    root = repository(tmp_path)
    write(root, "pyproject.toml", "[tool.threadpact]\n")
    message = problem(root, "", "threadpact.toml")
    assert "configure threadpact; keep one" in message


def test_a_full_configuration_reads_back(tmp_path: Path) -> None:
    root = repository(tmp_path)
    write(
        root,
        "threadpact.toml",
        """
spec = "openapi.yaml"
report = "out"
[generate.pydantic]
output = "gen/models.py"
options = { target-python-version = "3.12", use-annotated = true, formatters = ["builtin"] }
[[pacts]]
path = "pacts"
kind = "received"
[[pacts]]
path = "contracts"
kind = "owned"
command = "npm test"
[provider]
command = "serve --port {port}"
ready-path = "/health"
ready-timeout = 5
env = { DB = "sqlite:///{workdir}/x.db" }
states = "/_pact/states"
[client]
factory = "app.adapter:make_client"
[fuzz]
budget = 30
seed = 7
""",
    )
    config = load_config(start=root).config
    assert config.report == Path("out")
    assert config.generate.pydantic is not None
    assert config.generate.pydantic.options["use-annotated"] is True
    assert [(p.kind, p.command) for p in config.pacts] == [
        ("received", None),
        ("owned", "npm test"),
    ]
    assert config.provider is not None
    assert config.provider.ready_path == "/health"
    assert config.provider.tokens == DEFAULT_TOKEN_VARIABLES
    assert config.client.factory == "app.adapter:make_client"
    assert (config.fuzz.budget, config.fuzz.seed) == (30, 7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("spce = 'x'\n", "spce: unknown key (did you mean 'spec'?)"),
        (
            "[provider]\nbas-url = 'http://x'\n",
            "provider.bas-url: unknown key (did you mean 'base-url'?)",
        ),
        ("[fuzz]\nseed = 'one'\n", "fuzz.seed: Input should be a valid integer"),
        ("[fuzz]\nbudget = -1\n", "fuzz.budget: Input should be greater than 0"),
        (
            "[[pacts]]\npath = 'p'\nkind = 'mine'\n",
            "pacts[0].kind: Input should be 'owned' or 'received', got 'mine'",
        ),
        (
            "[[pacts]]\npath = 'p'\nkind = 'owned'\n",
            "pacts[0]: an owned pact location needs the command that writes it",
        ),
        (
            "[[pacts]]\npath = 'p'\nkind = 'received'\ncommand = 'x'\n",
            "pacts[0]: a received pact location has no command",
        ),
        ("[provider]\nready-path = '/'\n", "provider: give either base-url or command"),
        (
            "[provider]\nbase-url = 'http://x'\ncommand = 'serve --port {port}'\n",
            "provider: give either base-url or command",
        ),
        ("[provider]\ncommand = 'serve'\n", "provider: the command must contain {port}"),
        ("[provider]\nbase-url = 'ftp://x'\n", "provider.base-url: String should match pattern"),
        (
            "[provider]\nbase-url = 'http://x'\ntokens = ['A', 'B', 'C']\n",
            "provider: tokens names one or two environment variables",
        ),
        ("[client]\nfactory = 'no-colon'\n", "client.factory: String should match pattern"),
        (
            "[client]\nfactory = 'a:b'\ndriver = 'node driver.js'\n",
            "client: give either factory or driver",
        ),
        ("spec = 3\n", "spec: Input is not a valid path"),
        ("[generate]\npython = 1\n", "generate.python: unknown key (known: pydantic, typescript)"),
        (
            "[generate.typescript]\noptions = {}\n",
            "generate.typescript.output: Field required",
        ),
        (
            "[generate.typescript]\noutput = 'a.ts'\noutpt = 'b.ts'\n",
            "generate.typescript.outpt: unknown key (did you mean 'output'?)",
        ),
        (
            "[generate.typescript]\noutput = 'a.ts'\noptions = { enum = { x = 1 } }\n",
            "generate.typescript.options.enum",
        ),
        ("spec = [unclosed\n", "not valid TOML"),
    ],
)
def test_a_bad_configuration_is_one_line_naming_the_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    message = problem(tmp_path, text)
    assert message.startswith(str(tmp_path / "threadpact.toml"))
    assert expected in message


def test_a_pyproject_error_names_the_table(tmp_path: Path) -> None:
    message = problem(tmp_path, "[tool.threadpact]\nspce = 'x'\n", "pyproject.toml")
    assert message == (
        f"{tmp_path / 'pyproject.toml'} [tool.threadpact]: spce: unknown key (did you mean 'spec'?)"
    )


def test_an_explicit_file_wins_and_must_exist(tmp_path: Path) -> None:
    root = repository(tmp_path)
    write(root, "threadpact.toml", 'spec = "here.yaml"\n')
    other = write(root, "elsewhere.toml", 'spec = "there.yaml"\n')
    assert load_config(other, start=root).config.spec == Path("there.yaml")
    with pytest.raises(UsageError, match="no such file"):
        load_config(root / "missing.toml", start=root)


def test_typescript_options_go_over_the_defaults(tmp_path: Path) -> None:
    root = repository(tmp_path)
    write(
        root,
        "threadpact.toml",
        '[generate.typescript]\noutput = "web/api.ts"\n'
        "[generate.typescript.options]\nroot-types = false\nimmutable = true\n",
    )
    typescript = load_config(start=root).config.generate.typescript
    assert typescript is not None
    assert typescript.output == Path("web/api.ts")
    assert typescript.options == {
        "root-types": False,
        "root-types-no-schema-prefix": True,
        "default-non-nullable": False,
        "immutable": True,
    }


def test_typescript_without_options_gets_the_defaults(tmp_path: Path) -> None:
    root = repository(tmp_path)
    write(root, "threadpact.toml", '[generate.typescript]\noutput = "api.d.ts"\n')
    typescript = load_config(start=root).config.generate.typescript
    assert typescript is not None
    assert typescript.options == TYPESCRIPT_DEFAULTS
    assert typescript.options is not TYPESCRIPT_DEFAULTS
