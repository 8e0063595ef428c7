"""One module per ``threadpact`` subcommand; each defines ``register(commands)``.

A command's ``run(args)`` returns the exit code: 0 pass, 1 contract failure, 2 usage
error (raise :class:`threadpact.errors.UsageError` for that).
"""
