# Full-text search (`q`, matchmaking.filtersets.full_text_search) computed every opportunity's
# tsvector at every search: 0.3-0.7 s at 10,000 opportunities. PostgreSQL keeps it in a column,
# written by a trigger with the text, and GIN-indexed. Other databases leave the column empty and
# search with LIKE.

import django.contrib.postgres.search
from django.db import migrations, models

FUNCTION = """
CREATE OR REPLACE FUNCTION matchmaking_opportunity_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english'::regconfig, COALESCE(NEW.title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, COALESCE(NEW.description, '')), 'B');
    RETURN NEW;
END
$$;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(
        "CREATE TRIGGER matchmaking_opportunity_search_vector BEFORE INSERT OR UPDATE OF title, description "
        "ON matchmaking_opportunity FOR EACH ROW EXECUTE FUNCTION matchmaking_opportunity_search_vector()"
    )
    schema_editor.execute("UPDATE matchmaking_opportunity SET title = title")
    schema_editor.execute(
        "CREATE INDEX matchmaking_opportunity_search ON matchmaking_opportunity USING gin (search_vector)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS matchmaking_opportunity_search")
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS matchmaking_opportunity_search_vector ON matchmaking_opportunity"
    )
    schema_editor.execute("DROP FUNCTION IF EXISTS matchmaking_opportunity_search_vector()")


class Migration(migrations.Migration):
    dependencies = [("matchmaking", "0008_change_feed")]

    operations = [
        migrations.AddField(
            model_name="opportunity",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(create, drop),
        # the lists' default order (newest first): a page reads its rows, not all of them
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["-created_at", "-id"], name="opportunity_newest_first"),
        ),
    ]
