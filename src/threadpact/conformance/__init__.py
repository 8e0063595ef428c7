"""The client conformance suite, shipped with the package.

It starts real reference providers, drives a client through the adapter protocol
(:mod:`threadpact.client.adapter`) and names the broken rule in every failure.
``threadpact check-client module:factory`` runs it (see :mod:`.runner`); plain
pytest runs it too, from any directory::

    python -m pytest -p threadpact.conformance.plugin --pyargs threadpact.conformance.suite \\
        --client mypkg.adapter:make_client [--postgres-url postgresql://...]

Modules: :mod:`.suite` (the scenarios), :mod:`.plugin` (pytest options and hooks),
:mod:`.fixtures` (a live provider per backend, a fresh user, the lab), :mod:`.lab`
(the bench a scenario works on), :mod:`.transports` (recording and faults),
:mod:`.processes` and :mod:`.databases` (provider processes and their databases),
:mod:`.runner` (the pytest child process ``check-client`` starts).
"""

POSTGRES_VARIABLE = "THREADPACT_TEST_POSTGRES_URL"
"""The environment variable ``--postgres-url`` defaults to."""
