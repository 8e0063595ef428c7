"""The fault campaign: many clients against real providers under random faults, then a verdict.

    kinds.py      the kinds of fault (light: the command line reads it at start-up)
    providers.py  provider processes on fixed ports, killed with SIGKILL and restarted
    world.py      the users: a fault proxy each, a shared store, a client process per tab
    machine.py    the Hypothesis state machine: operations, faults, the heal and the check
    history.py    what happened: each user's actions, the faults, and the final states read
                  after the network healed and everything synced (pure data, no I/O)
    checker.py    the verdict: the anomalies (lost, duplicated, orphaned, stale,
                  wrong-owner) that a history and its final states prove
    runner.py     examples until the budget is spent; the shrunk anomaly, if any
    setup.py      the provider and client a command line and configuration name
    report.py     campaign.md and campaign.json

``threadpact campaign`` (threadpact.commands.campaign) runs it.
"""
