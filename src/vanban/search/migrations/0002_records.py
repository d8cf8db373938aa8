import django.db.models.deletion
from django.db import migrations, models


SQLITE_CREATE = [
    # Tokens carry their agency's prefix (backends.scoped): see backends.SQLiteBackend.
    "CREATE VIRTUAL TABLE search_records USING fts5(meta, body, facets, tokenize=\"unicode61 tokenchars '_'\", "
    "prefix='9 10')",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS search_records"]
PG_CREATE = [
    "CREATE TABLE search_records (record_id bigint PRIMARY KEY, vector tsvector NOT NULL)",
    "CREATE INDEX search_records_vector_gin ON search_records USING gin (vector)",
]
PG_DROP = ["DROP TABLE IF EXISTS search_records"]


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0001_initial"),
        ("search", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecordEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("source", models.CharField(max_length=20)),
                ("source_id", models.BigIntegerField()),
                ("title", models.CharField(max_length=500)),
                ("meta", models.TextField(blank=True)),
                ("text", models.TextField(blank=True)),
                ("fingerprint", models.CharField(max_length=64)),
                ("indexed_at", models.DateTimeField()),
                (
                    "agency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="orgs.agency"
                    ),
                ),
            ],
            options={
                "verbose_name": "search index record",
                "verbose_name_plural": "search index records",
                "constraints": [models.UniqueConstraint(fields=("source", "source_id"), name="search_record_once")],
            },
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_CREATE, "postgresql": PG_CREATE}),
            _run({"sqlite": SQLITE_DROP, "postgresql": PG_DROP}),
        ),
    ]
