# Results of verifying PDF signatures (filled by hand).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("signing", "0002_pki"),
        ("orgs", "0001_initial"),
        ("documents", "0005_document_replaced_by_document_withdrawn_at_and_more"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="FileCheck",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "verdict",
                    models.CharField(
                        choices=[
                            ("valid", "Valid"),
                            ("modified", "Modified after signing"),
                            ("untrusted", "Signer not trusted"),
                            ("revoked", "Certificate revoked"),
                            ("expired", "Certificate expired at signing time"),
                            ("unsigned", "No digital signature"),
                        ],
                        max_length=10,
                    ),
                ),
                ("report", models.JSONField(default=dict)),
                ("checked_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "file",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="signature_checks",
                        to="documents.documentfile",
                    ),
                ),
            ],
            options={
                "verbose_name": "signature check",
                "ordering": ["file", "-checked_at", "-id"],
                "indexes": [models.Index(fields=["file", "-checked_at", "-id"], name="filecheck_latest")],
            },
        ),
    ]
