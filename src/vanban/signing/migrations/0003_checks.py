# Results of verifying PDF signatures (filled by hand).

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    dependencies = [
        ("signing", "0002_pki"),
        ("orgs", "0001_initial"),
        ("documents", "0005_document_replaced_by_document_withdrawn_at_and_more"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = []
