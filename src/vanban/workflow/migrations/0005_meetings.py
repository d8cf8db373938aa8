# The meetings area's tables (filled by hand: see /tmp/brief/common.md of this change).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0004_dossiers"),
        ("documents", "0005_document_replaced_by_document_withdrawn_at_and_more"),
        ("orgs", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Meeting",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("title", models.CharField(max_length=300, verbose_name="title")),
                ("agenda", models.TextField(blank=True, verbose_name="agenda")),
                ("location", models.CharField(max_length=200, verbose_name="location")),
                ("starts_at", models.DateTimeField(verbose_name="starts at")),
                ("ends_at", models.DateTimeField(blank=True, null=True, verbose_name="ends at")),
                (
                    "state",
                    models.CharField(
                        choices=[("planned", "Planned"), ("cancelled", "Cancelled")], default="planned", max_length=10
                    ),
                ),
                ("cancel_reason", models.TextField(blank=True, verbose_name="reason for cancelling")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "agency",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="orgs.agency"),
                ),
                (
                    "chair",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "invitation",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="documents.document",
                    ),
                ),
                (
                    "organiser",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["starts_at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="MeetingMaterial",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=255)),
                ("kind", models.CharField(max_length=10)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "blob",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="documents.storedblob"
                    ),
                ),
                (
                    "meeting",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="materials", to="workflow.meeting"
                    ),
                ),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["pk"],
            },
        ),
        migrations.CreateModel(
            name="Participant",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "answer",
                    models.CharField(
                        choices=[("pending", "Not answered"), ("accepted", "Will attend"), ("declined", "Declined")],
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("note", models.TextField(blank=True, verbose_name="note")),
                ("answered_at", models.DateTimeField(blank=True, null=True)),
                (
                    "agency",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="orgs.agency",
                    ),
                ),
                (
                    "meeting",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="participants", to="workflow.meeting"
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["pk"],
            },
        ),
        migrations.CreateModel(
            name="ScheduleEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="day")),
                ("start_time", models.TimeField(verbose_name="start time")),
                ("end_time", models.TimeField(blank=True, null=True, verbose_name="end time")),
                ("title", models.CharField(max_length=500, verbose_name="content")),
                ("location", models.CharField(blank=True, max_length=200, verbose_name="location")),
                ("note", models.TextField(blank=True, verbose_name="note")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "agency",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="orgs.agency"),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "document",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="documents.document",
                    ),
                ),
                ("people", models.ManyToManyField(blank=True, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["day", "start_time", "pk"],
            },
        ),
        migrations.CreateModel(
            name="SchedulePublication",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("year", models.PositiveSmallIntegerField()),
                ("week", models.PositiveSmallIntegerField()),
                ("published_at", models.DateTimeField()),
                ("note", models.TextField(blank=True, verbose_name="note")),
                (
                    "agency",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="orgs.agency"),
                ),
                (
                    "published_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["-year", "-week"],
            },
        ),
        migrations.AddIndex(
            model_name="meeting",
            index=models.Index(fields=["agency", "starts_at"], name="workflow_meeting_agency_start"),
        ),
        migrations.AddConstraint(
            model_name="meeting",
            constraint=models.CheckConstraint(
                condition=models.Q(("ends_at__isnull", True), ("ends_at__gt", models.F("starts_at")), _connector="OR"),
                name="workflow_meeting_ends_after_start",
            ),
        ),
        migrations.AddConstraint(
            model_name="participant",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("agency__isnull", False), ("person__isnull", True)),
                    models.Q(("agency__isnull", True), ("person__isnull", False)),
                    _connector="OR",
                ),
                name="workflow_participant_person_or_agency",
            ),
        ),
        migrations.AddConstraint(
            model_name="participant",
            constraint=models.UniqueConstraint(
                condition=models.Q(("person__isnull", False)),
                fields=("meeting", "person"),
                name="workflow_participant_person_once",
            ),
        ),
        migrations.AddConstraint(
            model_name="participant",
            constraint=models.UniqueConstraint(
                condition=models.Q(("agency__isnull", False)),
                fields=("meeting", "agency"),
                name="workflow_participant_agency_once",
            ),
        ),
        migrations.AddIndex(
            model_name="scheduleentry",
            index=models.Index(fields=["agency", "day"], name="workflow_entry_agency_day"),
        ),
        migrations.AddConstraint(
            model_name="scheduleentry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("end_time__isnull", True), ("end_time__gt", models.F("start_time")), _connector="OR"
                ),
                name="workflow_entry_ends_after_start",
            ),
        ),
        migrations.AddConstraint(
            model_name="schedulepublication",
            constraint=models.UniqueConstraint(
                fields=("agency", "year", "week"), name="workflow_schedule_published_once"
            ),
        ),
    ]
