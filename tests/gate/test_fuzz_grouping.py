"""Tripped checks group into one finding per root cause."""

from threadpact.gate.fuzz.grouping import Trip, group
from threadpact.gate.report import Finding

THREADS = "POST /threads"
MESSAGES = "POST /threads/{thread_id}/messages"


def trip(rule: str, case: str, where: str = THREADS, **extra: bool) -> Trip:
    contract = "." in rule or rule == "id-authority"
    finding = Finding(rule, f"{rule} on {case}", where)
    return Trip(rule, where, case, contract, finding, script=lambda: f"# {rule} {case}", **extra)


def summary(findings: list[Finding]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(finding.rule, finding.where, finding.also) for finding in findings]


def test_stock_checks_on_a_contract_rules_request_are_absorbed_by_it() -> None:
    trips = [trip("response_schema_conformance", "c1"), trip("id-authority", "c1")]
    assert summary(group(trips)) == [("id-authority", THREADS, ("response_schema_conformance",))]


def test_contract_rules_are_never_merged() -> None:
    trips = [trip("idempotency.replay", "c1"), trip("idempotency.mismatch", "c1")]
    assert summary(group(trips)) == [
        ("idempotency.replay", THREADS, ()),
        ("idempotency.mismatch", THREADS, ()),
    ]


def test_stock_checks_on_one_request_follow_the_precedence() -> None:
    trips = [trip("status_code_conformance", "c1"), trip("not_a_server_error", "c1")]
    assert summary(group(trips)) == [("not_a_server_error", THREADS, ("status_code_conformance",))]


def test_requests_without_a_key_belong_to_the_missing_key_rule() -> None:
    trips = [
        trip("missing_required_header", "c2", keyless=True),
        trip("negative_data_rejection", "c2", keyless=True),
        trip("negative_data_rejection", "c3", MESSAGES, keyless=True),
        trip("idempotency.missing-key", "c1"),
    ]
    assert summary(group(trips)) == [
        ("negative_data_rejection", MESSAGES, ()),
        (
            "idempotency.missing-key",
            THREADS,
            ("missing_required_header", "negative_data_rejection"),
        ),
    ]


def test_without_the_missing_key_finding_a_keyless_failure_stands_alone() -> None:
    trips = [trip("negative_data_rejection", "c2", keyless=True)]
    assert summary(group(trips)) == [("negative_data_rejection", THREADS, ())]


def test_each_finding_keeps_its_first_trip_and_script() -> None:
    trips = [trip("not_a_server_error", "c1"), trip("not_a_server_error", "c2")]
    [finding] = group(trips)
    assert finding.message == "not_a_server_error on c1"
    assert finding.script == "# not_a_server_error c1"
