"""The packaged client conformance suite, run here with the rest of the tests.

Its scenarios live in :mod:`threadpact.conformance.suite`; collected from here
they run on both backends against the client ``--client`` names (by default the
reference client), with the fixtures of the conformance plugin.
"""

from threadpact.conformance.suite import *  # noqa: F403
