"""Every SQL statement the provider runs, in the subset SQLite and PostgreSQL share.

Placeholders are PostgreSQL's ``$1``, ``$2``...; the SQLite driver rewrites them to
``?1``, ``?2``... The tables are described in :mod:`threadpact.provider.tables`.
The ``CLAIM_KEY_AND_INSERT_*`` statements run on PostgreSQL only: there an idempotent
create is one statement (a data-modifying CTE), one round trip instead of a transaction.
"""

THREAD_COLUMNS = "seq, id, owner, title, agent_id, model, provider, created_us, updated_us, version"
MESSAGE_COLUMNS = "seq, id, thread_id, role, content, created_us"

# Idempotency keys.
FIND_KEY = (
    "SELECT fingerprint, status_code, body, location, etag, expires_us FROM idempotency_keys"
    " WHERE principal = $1 AND operation = $2 AND key = $3"
)
# Insert the key row, bound to its thread with no expiry; if it exists but has expired,
# take it over. Changes no row when the key is live (its expiry NULL, or still ahead) and,
# on PostgreSQL, waits for a concurrent claim to end first.
CLAIM_KEY = (
    "INSERT INTO idempotency_keys (principal, operation, key, fingerprint, status_code,"
    " body, location, etag, thread_id, created_us, expires_us)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)"
    " ON CONFLICT (principal, operation, key) DO UPDATE SET"
    " fingerprint = excluded.fingerprint, status_code = excluded.status_code,"
    " body = excluded.body, location = excluded.location, etag = excluded.etag,"
    " thread_id = excluded.thread_id, created_us = excluded.created_us, expires_us = NULL"
    " WHERE idempotency_keys.expires_us <= excluded.created_us"
)
# The keys of a deleted thread and of its messages start their retention window ($2 is
# when it ends). It runs after the thread's delete, in the same transaction, so that it
# sees the key of a message whose create committed while the delete waited for it.
EXPIRE_THREAD_KEYS = (
    "UPDATE idempotency_keys SET expires_us = $2 WHERE thread_id = $1 AND expires_us IS NULL"
)
# A batch at a time, so that a long backlog never holds the database (or, on SQLite,
# the event loop) for long. Keys of live resources (expires_us NULL) never match.
PURGE_KEYS = (
    "DELETE FROM idempotency_keys WHERE (principal, operation, key) IN"
    " (SELECT principal, operation, key FROM idempotency_keys WHERE expires_us <= $1 LIMIT $2)"
)
DELETE_PRINCIPAL_KEYS = "DELETE FROM idempotency_keys WHERE principal = $1"

# Threads.
INSERT_THREAD = (
    "INSERT INTO threads (id, owner, title, agent_id, model, provider, created_us,"
    " updated_us, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)
# The two claim-and-insert statements repeat CLAIM_KEY on purpose: each is written out in
# full, and the test suite checks that each is CLAIM_KEY followed by its insert.
# CLAIM_KEY and INSERT_THREAD as one statement (PostgreSQL): the claim's ten arguments,
# then the thread's nine. The thread is inserted only if the claim changed a row.
CLAIM_KEY_AND_INSERT_THREAD = (
    "WITH claim AS (INSERT INTO idempotency_keys (principal, operation, key, fingerprint,"
    " status_code, body, location, etag, thread_id, created_us, expires_us)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)"
    " ON CONFLICT (principal, operation, key) DO UPDATE SET"
    " fingerprint = excluded.fingerprint, status_code = excluded.status_code,"
    " body = excluded.body, location = excluded.location, etag = excluded.etag,"
    " thread_id = excluded.thread_id, created_us = excluded.created_us, expires_us = NULL"
    " WHERE idempotency_keys.expires_us <= excluded.created_us RETURNING 1)"
    " INSERT INTO threads (id, owner, title, agent_id, model, provider, created_us,"
    " updated_us, version) SELECT $11, $12, $13, $14, $15, $16, $17, $18, $19"
    " WHERE EXISTS (SELECT 1 FROM claim)"
)
GET_THREAD = f"SELECT {THREAD_COLUMNS} FROM threads WHERE id = $1 AND owner = $2"
LIST_THREADS = f"SELECT {THREAD_COLUMNS} FROM threads WHERE owner = $1 ORDER BY seq DESC LIMIT $2"
LIST_THREADS_BEFORE = (
    f"SELECT {THREAD_COLUMNS} FROM threads WHERE owner = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"
)
UPDATE_THREAD = (
    "UPDATE threads SET title = $3, updated_us = $4, version = version + 1"
    f" WHERE id = $1 AND owner = $2 RETURNING {THREAD_COLUMNS}"
)
UPDATE_THREAD_AT_VERSION = (
    "UPDATE threads SET title = $3, updated_us = $4, version = version + 1"
    f" WHERE id = $1 AND owner = $2 AND version = $5 RETURNING {THREAD_COLUMNS}"
)
THREAD_EXISTS = "SELECT seq FROM threads WHERE id = $1 AND owner = $2"
DELETE_THREAD = "DELETE FROM threads WHERE id = $1 AND owner = $2"
DELETE_OWNER_THREADS = "DELETE FROM threads WHERE owner = $1"

# Messages.
INSERT_MESSAGE = (
    "INSERT INTO messages (id, thread_id, role, content, created_us) VALUES ($1, $2, $3, $4, $5)"
)
# CLAIM_KEY and INSERT_MESSAGE as one statement (PostgreSQL): the claim's ten arguments,
# then the message's five. The message is inserted only if the claim changed a row.
CLAIM_KEY_AND_INSERT_MESSAGE = (
    "WITH claim AS (INSERT INTO idempotency_keys (principal, operation, key, fingerprint,"
    " status_code, body, location, etag, thread_id, created_us, expires_us)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)"
    " ON CONFLICT (principal, operation, key) DO UPDATE SET"
    " fingerprint = excluded.fingerprint, status_code = excluded.status_code,"
    " body = excluded.body, location = excluded.location, etag = excluded.etag,"
    " thread_id = excluded.thread_id, created_us = excluded.created_us, expires_us = NULL"
    " WHERE idempotency_keys.expires_us <= excluded.created_us RETURNING 1)"
    " INSERT INTO messages (id, thread_id, role, content, created_us)"
    " SELECT $11, $12, $13, $14, $15 WHERE EXISTS (SELECT 1 FROM claim)"
)
LIST_MESSAGES = f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE thread_id = $1 ORDER BY seq LIMIT $2"
LIST_MESSAGES_AFTER = (
    f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE thread_id = $1 AND seq > $2"
    " ORDER BY seq LIMIT $3"
)
GET_MESSAGE = (
    "SELECT m.seq, m.id, m.thread_id, m.role, m.content, m.created_us"
    " FROM messages m JOIN threads t ON t.id = m.thread_id"
    " WHERE m.id = $1 AND t.id = $2 AND t.owner = $3"
)
