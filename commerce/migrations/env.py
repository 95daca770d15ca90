"""Alembic environment: runs on the connection commerce.db.upgrade hands over, or on `-x url=`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, MetaData

from commerce import models
from commerce.db import make_engine


def _target_metadata() -> MetaData:
    # Only the store's tables, even if other SQLModel tables share the global metadata.
    metadata = MetaData()
    for table in models.TABLES:
        table.to_metadata(metadata)
    return metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=_target_metadata(),
        compare_type=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


config = context.config
given = config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("pass the database with: alembic -x url=<database url> ...")
    engine = make_engine(url)
    with engine.begin() as connection:
        _run(connection)
    engine.dispose()
