"""The packaged client conformance suite, run here with the rest of the tests.

Its scenarios live in the modules of :mod:`threadpact.conformance.scenarios` (test
names are unique across them); collected from here they run on both backends
against the client ``--client`` names (by default the reference client), with the
fixtures of the conformance plugin.
"""

from threadpact.conformance.scenarios.test_answers import *  # noqa: F403
from threadpact.conformance.scenarios.test_edits import *  # noqa: F403
from threadpact.conformance.scenarios.test_legacy import *  # noqa: F403
from threadpact.conformance.scenarios.test_outages import *  # noqa: F403
from threadpact.conformance.scenarios.test_reload import *  # noqa: F403
from threadpact.conformance.scenarios.test_swap import *  # noqa: F403
from threadpact.conformance.scenarios.test_tabs import *  # noqa: F403
