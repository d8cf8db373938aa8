# The meetings area's tables (filled by hand: see /tmp/brief/common.md of this change).

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0004_dossiers"),
        ("documents", "0005_document_replaced_by_document_withdrawn_at_and_more"),
        ("orgs", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = []
