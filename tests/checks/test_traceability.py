"""The traceability table: every statement of the spec is mapped, to rules and tests that exist."""

from pathlib import Path

import pytest

from tests.fixtures.processes import ROOT
from threadpact.cli import main
from threadpact.openapi import load_spec
from threadpact.rules.extract import Statement, sentences, statements
from threadpact.rules.known import contract_rules, known_rules
from threadpact.rules.render import status
from threadpact.rules.table import load_table, parse
from threadpact.rules.trace import Row, missing_tests, names_a_test, trace, unknown_rules

SPEC = ROOT / "openapi.yaml"
TABLE = ROOT / "traceability.yaml"


def test_every_statement_of_the_spec_is_in_the_table() -> None:
    found = trace(load_spec(SPEC), load_table(TABLE))
    assert [row.statement for row in found.rows if row.entry is None] == []
    assert found.stale == []


def test_every_statement_has_a_rule_or_a_reason() -> None:
    found = trace(load_spec(SPEC), load_table(TABLE))
    assert [row.statement.text for row in found.unsettled] == []


def test_the_table_names_only_rules_that_exist() -> None:
    assert unknown_rules(load_table(TABLE), known_rules()) == []


def test_the_table_names_only_tests_that_exist() -> None:
    assert missing_tests(load_table(TABLE), ROOT, contract_rules()) == []


def test_every_contract_rule_checks_some_statement() -> None:
    named = {rule for entry in load_table(TABLE).entries for rule in entry.rules}
    assert contract_rules() <= named


def test_an_edited_sentence_shows_as_unmapped_and_its_entry_as_stale() -> None:
    document = load_spec(SPEC)
    operation = document["paths"]["/threads/{thread_id}"]["delete"]
    operation["description"] = "Afterwards GET of this thread answers 404 or 410."
    found = trace(document, load_table(TABLE))
    unmapped = [row.statement.text for row in found.rows if row.entry is None]
    assert unmapped == ["Afterwards GET of this thread answers 404 or 410."]
    assert [entry.pointer for entry in found.stale] == [
        "/paths/~1threads~1{thread_id}/delete/description"
    ]


def test_sentences_are_split_normalised_and_filtered() -> None:
    text = (
        "**Access.** Every call needs a token;\n  a missing one is a 401.\n"
        "- First: 201.\n\nPage size."
    )
    assert list(sentences(text)) == [
        "Every call needs a token; a missing one is a 401.",
        "First: 201.",
        "Page size.",
    ]
    texts = [s.text for s in statements({"info": {"description": text}})]
    assert texts == ["Every call needs a token; a missing one is a 401.", "First: 201."]


def test_schema_defaults_are_statements() -> None:
    document = {"components": {"schemas": {"T": {"properties": {"n": {"default": 5}}}}}}
    assert [(s.pointer, s.text) for s in statements(document)] == [
        ("/components/schemas/T/properties/n/default", "default: 5")
    ]


def test_a_test_reference_must_name_a_function_and_a_parameter_id() -> None:
    good = "tests/gate/test_fuzz_broken.py::test_a_broken_provider_fails_naming_the_rule"
    assert names_a_test(f"{good}[titles-trimmed]", ROOT)
    assert not names_a_test(f"{good}[no-such-id]", ROOT)
    assert not names_a_test("tests/gate/test_fuzz_broken.py::test_nothing", ROOT)
    assert not names_a_test("tests/nowhere.py::test_x", ROOT)


def test_unknown_rules_and_missing_tests_are_named() -> None:
    table = parse(
        "- pointer: /info/description\n  statement: X.\n  rules: [no-such-rule]\n"
        "- pointer: /info/description\n  statement: Y.\n  rules: [deletion]\n"
    )
    assert [rule for _, rule in unknown_rules(table, known_rules())] == ["no-such-rule"]
    assert [test for _, test in missing_tests(table, ROOT, contract_rules())] == [
        "(no test for a threadpact rule)"
    ]


def test_the_command_prints_the_table_and_check_fails_on_unmapped_statements(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["rules", "--spec", str(SPEC)]) == 0
    shown = capsys.readouterr().out
    assert "/paths/~1threads~1{thread_id}/patch/description: With `If-Match`" in shown
    assert "    rules: conditional-update (1 test(s))" in shown
    assert main(["rules", "--check"]) == 0
    checked = capsys.readouterr().out
    assert "0 gap(s), 0 unmapped; 0 stale" in checked
    assert "unknown rule" not in checked
    edited = tmp_path / "openapi.yaml"
    edited.write_text(
        SPEC.read_text().replace("A stale value answers 412.", "A stale value answers 409.")
    )
    assert main(["rules", "--check", "--spec", str(edited)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert (
        "/components/parameters/IfMatch/description: 'A stale value answers 409.': "
        "UNMAPPED: no entry in the table" in lines
    )
    assert any(line.endswith("stale (the spec no longer says it)") for line in lines)


def test_a_gap_is_shown_and_unsettled() -> None:
    table = parse("- pointer: /x\n  statement: Never two.\n  gap: not checked yet\n")
    row = Row(Statement("/x", "Never two."), table.entries[0])
    assert status(row) == "GAP: not checked yet"
    assert not row.settled


def test_without_a_table_every_statement_is_unmapped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert load_table(tmp_path / "none.yaml").entries == []
    missing = str(tmp_path / "none.yaml")
    assert main(["rules", "--check", "--spec", str(SPEC), "--table", missing]) == 1
    lines = capsys.readouterr().out.splitlines()
    unmapped = [line for line in lines if line.endswith("UNMAPPED: no entry in the table")]
    assert len(unmapped) == len(statements(load_spec(SPEC)))
