"""threadpact's benchmarks: measured here, never asserted in tests.

``python -m bench`` runs them all (``python -m bench provider`` runs one; ``--quick`` is a
short smoke run). Each benchmark starts its own processes on 127.0.0.1, stops them by
process ID when it ends, and reports medians of repeated runs, as ratios against a
baseline measured in the same run where there is one. Results go to
``bench/results/latest.json`` and ``bench/results/latest.md``.

- :mod:`bench.provider`: requests/s and p50/p99 latency of the reference provider under
  ``wrk``, against ``GET /healthz`` on the same server, on SQLite and PostgreSQL.
- :mod:`bench.idempotency`: 4 providers on one PostgreSQL database, every key sent by
  10 concurrent requests; exactly one thread per key, no 5xx.
- :mod:`bench.fuzz`: ``threadpact fuzz`` beside plain ``st run`` with the same budget.
- :mod:`bench.gate`: ``threadpact gate`` wall time, by step.
"""
