# The PDF-signing PKI: signing identities, revocations, trust roots (filled by hand from
# `makemigrations --dry-run -v 3`).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("signing", "0001_initial"),
        ("orgs", "0001_initial"),
        ("documents", "0005_document_replaced_by_document_withdrawn_at_and_more"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="authority",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="children",
                to="signing.authority",
            ),
        ),
        migrations.AddField(
            model_name="authority",
            name="role",
            field=models.CharField(
                choices=[
                    ("exchange", "Exchange CA"),
                    ("root", "Root CA"),
                    ("issuing", "Issuing CA"),
                    ("tsa", "Timestamp authority"),
                    ("ocsp", "OCSP responder"),
                ],
                default="exchange",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="authority",
            name="slug",
            field=models.SlugField(blank=True),
        ),
        migrations.AddConstraint(
            model_name="authority",
            constraint=models.UniqueConstraint(
                condition=models.Q(("slug", ""), _negated=True), fields=("slug",), name="authority_slug_unique"
            ),
        ),
        migrations.AddField(
            model_name="trustedcertificate",
            name="pdf_root",
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name="SigningIdentity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("file", "Key file (PKCS#12)"), ("pkcs11", "Hardware token (PKCS#11)")], max_length=10
                    ),
                ),
                ("certificate_pem", models.TextField()),
                ("chain_pem", models.TextField(blank=True, help_text="issuing CAs, PEM, nearest first")),
                (
                    "private_key_pem",
                    models.TextField(blank=True, help_text="PKCS#8, encrypted with VANBAN_KEY_PASSPHRASE"),
                ),
                ("token_label", models.CharField(blank=True, max_length=100)),
                ("key_label", models.CharField(blank=True, max_length=100)),
                ("key_id", models.CharField(blank=True, help_text="hex", max_length=128)),
                ("library", models.CharField(blank=True, max_length=300)),
                ("fingerprint", models.CharField(max_length=64, unique=True)),
                ("serial_number", models.CharField(max_length=64)),
                ("subject", models.CharField(blank=True, max_length=300)),
                ("not_before", models.DateTimeField()),
                ("not_after", models.DateTimeField()),
                ("active", models.BooleanField(default=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "revocation_reason",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("unspecified", "Unspecified"),
                            ("key_compromise", "Key compromised"),
                            ("affiliation_changed", "Affiliation changed"),
                            ("superseded", "Superseded"),
                            ("cessation_of_operation", "Cessation of operation"),
                        ],
                        max_length=30,
                    ),
                ),
                ("image", models.BinaryField(blank=True, help_text="PNG", null=True)),
                ("image_width_mm", models.FloatField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "agency",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="signing_identities",
                        to="orgs.agency",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "issuer",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="issued",
                        to="signing.authority",
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="signing_identities",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "signing identity",
                "verbose_name_plural": "signing identities",
                "ordering": ["-created_at"],
                "indexes": [
                    models.Index(fields=["issuer", "serial_number"], name="signing_identity_issuer_serial"),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("agency__isnull", True), ("person__isnull", False)),
                            models.Q(("agency__isnull", False), ("person__isnull", True)),
                            _connector="OR",
                        ),
                        name="signing_identity_person_xor_agency",
                    ),
                ],
            },
        ),
    ]
