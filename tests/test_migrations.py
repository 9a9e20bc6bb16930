"""The Alembic migrations and the models must describe the same schema, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from okrmail.app import AppContext
from okrmail.models import Base


def test_migrated_schema_matches_the_models(ctx: AppContext) -> None:
    assert ctx.engine is not None
    with ctx.engine.connect() as connection:
        migration = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(migration, Base.metadata)
    assert differences == []
