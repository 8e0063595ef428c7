"""The package stands alone: nothing under src/ refers to this checkout's tests."""

import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src"
MENTION = re.compile(r"\btests(/|\.[A-Za-z_])")


def test_nothing_under_src_mentions_the_tests_folder() -> None:
    mentions = [
        f"{path.relative_to(SOURCE)}:{number}: {line.strip()}"
        for path in sorted(SOURCE.rglob("*"))
        if path.is_file() and path.suffix in {".py", ".toml", ".yml", ".yaml", ".md", ".mako"}
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1)
        if MENTION.search(line)
    ]
    assert mentions == []
