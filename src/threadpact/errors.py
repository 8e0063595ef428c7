"""The harness's own exceptions.

    ThreadpactError            anything threadpact reports instead of a traceback
    +-- UsageError             bad argument, missing file, broken spec: exit code 2
    +-- ContractFailure        the contract was broken: exit code 1

The CLI maps each to its exit code and prints the message on one line.
"""


class ThreadpactError(Exception):
    """Base of every error threadpact reports to its user."""

    exit_code = 2


class UsageError(ThreadpactError):
    """A bad argument, a missing file or a broken spec (exit code 2)."""

    exit_code = 2


class ContractFailure(ThreadpactError):
    """A check found a broken contract rule (exit code 1)."""

    exit_code = 1
