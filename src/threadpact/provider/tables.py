"""The provider's tables (SQLAlchemy Core). Alembic migrations create them."""

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

metadata = MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY.
Seq = BigInteger().with_variant(Integer(), "sqlite")

# Each table is declared in full: what they share (seq, id, times) is the schema's
# likeness, not code to factor out.
threads = Table(
    "threads",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("owner", String(255), nullable=False),
    Column("title", String(200), nullable=False),
    Column("agent_id", String(100), nullable=False),
    Column("model", String(100), nullable=False),
    Column("provider", String(100), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_threads_owner_seq", "owner", "seq"),
)

messages = Table(
    "messages",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column(
        "thread_id",
        String(36),
        ForeignKey("threads.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("role", String(16), nullable=False),
    Column("content", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Index("ix_messages_thread_seq", "thread_id", "seq"),
)

# One row per (principal, operation, key): the primary key is what makes a create
# idempotent across processes that share the database. A key lives as long as the thread
# it made, or made a message in (``thread_id``): ``expires_us`` is NULL until that thread
# is deleted, then the end of the retention window.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal", String(255), nullable=False),
    Column("operation", String(32), nullable=False),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("location", String(512), nullable=False),
    Column("etag", String(64), nullable=True),
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=True),
    Column("thread_id", String(36), nullable=True),
    PrimaryKeyConstraint("principal", "operation", "key", name="pk_idempotency_keys"),
    Index("ix_idempotency_keys_expires", "expires_us"),
    Index("ix_idempotency_keys_thread", "thread_id"),
)
