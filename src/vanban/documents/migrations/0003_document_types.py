from django.db import migrations

from vanban.documents.reference import sync_document_types


def forwards(apps, schema_editor):
    sync_document_types(apps.get_model("documents", "DocumentType"))


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
