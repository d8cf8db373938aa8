import django.db.models.deletion
from django.db import migrations, models

SQLITE_CREATE = [
    # Text arrives already folded and tokenised (see folding.index_text); unicode61 only splits it.
    "CREATE VIRTUAL TABLE search_index USING fts5(meta, body, tokenize='unicode61', prefix='1 2 3')",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS search_index"]
PG_CREATE = [
    "CREATE TABLE search_index (document_id bigint PRIMARY KEY, vector tsvector NOT NULL)",
    "CREATE INDEX search_index_vector_gin ON search_index USING gin (vector)",
]
PG_DROP = ["DROP TABLE IF EXISTS search_index"]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("documents", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "document",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_entry",
                        serialize=False,
                        to="documents.document",
                    ),
                ),
                ("text", models.TextField(blank=True, verbose_name="full text")),
                ("signer_key", models.CharField(blank=True, max_length=50)),
                ("fingerprint", models.CharField(max_length=64)),
                ("indexed_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "search index entry",
                "verbose_name_plural": "search index entries",
            },
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_CREATE, "postgresql": PG_CREATE}),
            _run({"sqlite": SQLITE_DROP, "postgresql": PG_DROP}),
        ),
    ]
