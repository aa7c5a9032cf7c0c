# Full-text search read every text as English (migration 0009): a query in French had its stop words
# ("des", "pour", "les") as required words and its plurals as other words. The trigger now also
# writes the text's words as its own language reads them, with the PostgreSQL text search
# configuration named after its `text_language` (french, spanish, portuguese, russian, arabic and 21
# more ship with PostgreSQL; none for Chinese: English alone then), and runs again when the
# language is read. `matchmaking.filtersets.full_text_match` searches a query in its own language too.

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION matchmaking_opportunity_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    own regconfig;
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english'::regconfig, COALESCE(NEW.title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, COALESCE(NEW.description, '')), 'B');
    SELECT c.oid::regconfig INTO own FROM pg_catalog.pg_ts_config c JOIN {languages} l ON c.cfgname = lower(l.name)
        WHERE l.code = NEW.text_language AND c.cfgname <> 'english';
    IF own IS NOT NULL THEN
        NEW.search_vector := NEW.search_vector ||
            setweight(to_tsvector(own, COALESCE(NEW.title, '')), 'A') ||
            setweight(to_tsvector(own, COALESCE(NEW.description, '')), 'B');
    END IF;
    RETURN NEW;
END
$$;
"""

PREVIOUS_FUNCTION = """
CREATE OR REPLACE FUNCTION matchmaking_opportunity_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english'::regconfig, COALESCE(NEW.title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, COALESCE(NEW.description, '')), 'B');
    RETURN NEW;
END
$$;
"""

TRIGGER = (
    "CREATE TRIGGER matchmaking_opportunity_search_vector BEFORE INSERT OR UPDATE OF {columns} "
    "ON matchmaking_opportunity FOR EACH ROW EXECUTE FUNCTION matchmaking_opportunity_search_vector()"
)
DROP_TRIGGER = "DROP TRIGGER IF EXISTS matchmaking_opportunity_search_vector ON matchmaking_opportunity"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    languages = apps.get_model("matchmaking", "Language")._meta.db_table
    schema_editor.execute(FUNCTION.replace("{languages}", languages))
    schema_editor.execute(DROP_TRIGGER)
    schema_editor.execute(TRIGGER.format(columns="title, description, text_language"))
    schema_editor.execute(
        "UPDATE matchmaking_opportunity SET title = title WHERE text_language NOT IN ('', 'en')"
    )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(PREVIOUS_FUNCTION)
    schema_editor.execute(DROP_TRIGGER)
    schema_editor.execute(TRIGGER.format(columns="title, description"))
    schema_editor.execute(
        "UPDATE matchmaking_opportunity SET title = title WHERE text_language NOT IN ('', 'en')"
    )


class Migration(migrations.Migration):
    dependencies = [("matchmaking", "0019_structured_needs")]

    operations = [migrations.RunPython(forward, backward)]
