"""The fault campaign: many clients against real providers under random faults, then a verdict.

    history.py   what happened: each user's actions, the faults, and the final states read
                 after the network healed and everything synced (pure data, no I/O)
    checker.py   the verdict: the anomalies (lost, duplicated, orphaned, stale,
                 wrong-owner) that a history and its final states prove

The machine that drives the clients and records the history is built on top of these.
"""
