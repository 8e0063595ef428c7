"""threadpact: the thread ID contract between a chat front end and its threads API."""

__version__ = "0.1.0"
