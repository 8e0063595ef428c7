"""The pydantic models generated from openapi.yaml (see ``threadpact generate``).

Import models from here, never from a hand-written copy.
"""

from threadpact_models import (
    LocalMessage,
    LocalThread,
    Message,
    MessageCreate,
    MessagePage,
    Problem,
    ServerThread,
    ThreadCreate,
    ThreadPage,
    ThreadUpdate,
)

__all__ = [
    "LocalMessage",
    "LocalThread",
    "Message",
    "MessageCreate",
    "MessagePage",
    "Problem",
    "ServerThread",
    "ThreadCreate",
    "ThreadPage",
    "ThreadUpdate",
]
