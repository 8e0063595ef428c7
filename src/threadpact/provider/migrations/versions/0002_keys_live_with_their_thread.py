"""Idempotency keys live as long as their thread: thread_id, and no expiry until it is deleted.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Microseconds: the retention window that 0001's keys had by default.
OLD_DEFAULT_RETENTION_US = 24 * 60 * 60 * 1_000_000


def upgrade() -> None:
    """Bind each key to its thread; the keys of threads that still exist stop expiring.

    A stored location is ``/threads/{id}`` or ``/threads/{id}/messages/{message_id}``,
    so the thread's ID is the 36 characters after ``/threads/``. Keys of threads deleted
    before this revision keep the expiry they had.
    """
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("thread_id", sa.String(36), nullable=True))
        batch.alter_column("expires_us", existing_type=sa.BigInteger, nullable=True)
        batch.create_index("ix_idempotency_keys_thread", ["thread_id"])
    op.execute(
        "UPDATE idempotency_keys SET thread_id = substr(location, 10, 36)"
        " WHERE location LIKE '/threads/%'"
    )
    op.execute(
        "UPDATE idempotency_keys SET expires_us = NULL WHERE thread_id IN (SELECT id FROM threads)"
    )


def downgrade() -> None:
    """Every key expires again: an unexpiring one a day after its create, as 0001's default."""
    op.execute(
        "UPDATE idempotency_keys"
        f" SET expires_us = created_us + {OLD_DEFAULT_RETENTION_US} WHERE expires_us IS NULL"
    )
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_index("ix_idempotency_keys_thread")
        batch.alter_column("expires_us", existing_type=sa.BigInteger, nullable=False)
        batch.drop_column("thread_id")
