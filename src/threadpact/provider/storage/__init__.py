"""The provider's database access: one small interface over SQLite and PostgreSQL.

SQLAlchemy describes the tables and Alembic migrates them; requests run plain SQL
through the drivers themselves (sqlite3 on the event loop, an asyncpg pool), because
SQLAlchemy's async layer cost more per statement than the rest of a request.
"""
