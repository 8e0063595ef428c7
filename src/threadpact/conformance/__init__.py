"""The client conformance suite, shipped with the package.

It starts real reference providers, drives a client through the adapter protocol
(:mod:`threadpact.client.adapter`) or, for a client in any language, a driver
process through the JSON-lines driver protocol (docs/driver-protocol.md), and names
the broken rule in every failure. ``threadpact check-client module:factory`` or
``threadpact check-client --driver CMD`` runs it (see :mod:`.runner`); plain pytest
runs it too, from any directory::

    python -m pytest -p threadpact.conformance.plugin \\
        --pyargs threadpact.conformance.scenarios \\
        --client mypkg.adapter:make_client [--postgres-url postgresql://...]
    python -m pytest -p threadpact.conformance.plugin \\
        --pyargs threadpact.conformance.scenarios --driver "node driver.mjs"

Modules: :mod:`.scenarios` (the scenarios, a module per area of the contract),
:mod:`.plugin` (pytest options and hooks), :mod:`.fixtures` (a live provider per
backend, a fresh user, the lab), :mod:`.lab`
(the bench a scenario works on), :mod:`.openers` (a factory or a driver behind the
lab), :mod:`.faults` (the one fault and record interface), :mod:`.transports` and
:mod:`.proxy` (the faults as an httpx transport, and as an HTTP proxy),
:mod:`.driver` (the suite's side of the driver protocol), :mod:`.refdriver` (the
reference client behind it), :mod:`.processes` and :mod:`.databases` (provider
processes and their databases), :mod:`.runner` (the pytest child process
``check-client`` starts).
"""

POSTGRES_VARIABLE = "THREADPACT_TEST_POSTGRES_URL"
"""The environment variable ``--postgres-url`` defaults to."""
