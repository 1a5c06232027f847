"""Alembic environment: migrations run against the application's own engine."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
# Leave the app's loggers on: `testbed db upgrade` runs inside the app's process.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

database = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url",
    database.engine.url.render_as_string(hide_password=False).replace("%", "%%"),
)


def run_migrations_offline():
    """Write the SQL to standard output instead of running it."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=database.metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def skip_empty_revisions(context, revision, directives):
        # `testbed db migrate` with no model change should not write an empty file.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    options = current_app.extensions["migrate"].configure_args
    options.setdefault("process_revision_directives", skip_empty_revisions)
    with database.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a constraint by copying the table, dropping the old one and
            # renaming the copy; with foreign keys on, dropping a table that others refer
            # to fails. They are off while migrating (the pragma works only outside a
            # transaction, so it goes to the driver before the engine's BEGIN IMMEDIATE), and
            # every reference is checked before the work is kept.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=database.metadata, **options)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                check_references(connection)
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def check_references(connection):
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, row, parent, _ = broken[0]
        raise RuntimeError(
            f"the migration left {len(broken)} reference(s) to missing rows, "
            f"the first from {table} row {row} to {parent}; nothing was changed"
        )


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
