"""What the API operations read and write, one module per resource.

Routers parse a request, call a function here and send what it returns. Functions
take canonical IDs (the routers parse them) and raise ProblemError for the answers
the data decides: a thread that is not the caller's, a stale ETag, a reused key.
"""
