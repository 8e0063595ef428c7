"""The kinds of fault a campaign injects (light: the command line reads it at start-up)."""

FAULTS = (
    "offline",
    "lost",
    "duplicate",
    "delay",
    "answer",
    "kill-provider",
    "kill-sender",
    "kill-tab",
)
"""``offline``: the user's network goes down (and up); ``lost``: an answer is lost after
the provider committed; ``duplicate``: a request is delivered twice; ``delay``: a request
is held back; ``answer``: 500, 503, 409 or 429 in the provider's place; ``kill-provider``:
a provider process is killed with SIGKILL while it handles a request; ``kill-sender``: the
client process sending a request is killed, before or after it reaches the provider;
``kill-tab``: a client process is killed between two actions."""
