"""The client conformance scenarios, one module per area of the contract.

pytest collects the ``test_*.py`` modules of this package (``threadpact
check-client`` runs it through :mod:`threadpact.conformance.runner`); every failure
starts with ``rule <name>:``, a rule of
:data:`threadpact.client.invariants.INVARIANT_RULES`. The fixtures come from
:mod:`threadpact.conformance.plugin`::

    python -m pytest -p threadpact.conformance.plugin \\
        --pyargs threadpact.conformance.scenarios --client mypkg.adapter:make_client

Modules: :mod:`.test_swap` (the ID swap), :mod:`.test_answers` (what each kind of
answer does), :mod:`.test_outages` (the network down, lost answers, coming back),
:mod:`.test_reload` (page reloads), :mod:`.test_tabs` (two tabs on one store),
:mod:`.test_edits` (renames, deletes, pull), :mod:`.test_legacy` (the old client's
data); :mod:`.common` holds what they share.
"""
