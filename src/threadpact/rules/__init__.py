"""The traceability table: every promise the spec makes, and what holds a provider to it.

:mod:`threadpact.rules.extract` finds the normative sentences in the spec's text (and
the schema defaults no stock check tests); the repository's table (the configuration's
``traceability`` key) maps each, by JSON
pointer and normalised sentence, to the rules that check it and the tests that prove
each rule bites, or to the reason no black-box check can; :mod:`threadpact.rules.trace`
joins the two and says what is unmapped, stale or unknown.
"""
