# The dossiers area's tables: work dossiers, their items, hand-overs to the archive.

import django.db.models.deletion
from django.conf import settings
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0003_drafting"),
        ("documents", "0005_document_replaced_by_document_withdrawn_at_and_more"),
        ("orgs", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Handover',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('handed_on', models.DateField(verbose_name='handed over on')),
                ('received_by', models.CharField(max_length=100, verbose_name='received by (archive keeper)')),
                ('note', models.CharField(blank=True, max_length=500, verbose_name='notes')),
                ('agency', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.agency')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-handed_on', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='Dossier',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                ('notation', models.CharField(max_length=20, verbose_name='dossier number and notation')),
                ('title', models.CharField(max_length=500, verbose_name='dossier title')),
                ('maintenance', models.CharField(max_length=30, verbose_name='retention period')),
                ('rights', models.CharField(choices=[('public', 'Public'), ('restricted', 'Restricted')], default='restricted', max_length=30, verbose_name='access rights')),
                ('language', models.CharField(default='Tiếng Việt', max_length=50, verbose_name='language')),
                ('start_date', models.DateField(blank=True, null=True, verbose_name='start date')),
                ('end_date', models.DateField(blank=True, null=True, verbose_name='end date')),
                ('description', models.CharField(blank=True, max_length=500, verbose_name='notes')),
                ('state', models.CharField(choices=[('open', 'Open'), ('closed', 'Ended'), ('handed_over', 'Handed over to the archive')], default='open', max_length=12)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('closed_at', models.DateTimeField(blank=True, null=True)),
                ('agency', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.agency')),
                ('creator', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='kept by')),
                ('unit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.unit', verbose_name='unit')),
                ('handover', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='dossiers', to='workflow.handover')),
            ],
            options={
                'ordering': ['-year', 'notation'],
            },
        ),
        migrations.CreateModel(
            name='DossierItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('ordinal', models.PositiveSmallIntegerField(verbose_name='ordinal')),
                ('added_at', models.DateTimeField(auto_now_add=True)),
                ('added_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('document', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='documents.document')),
                ('dossier', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='workflow.dossier')),
            ],
            options={
                'ordering': ['dossier', 'ordinal'],
                'constraints': [models.UniqueConstraint(fields=('dossier', 'document'), name='workflow_dossier_item_once'), models.CheckConstraint(condition=models.Q(('ordinal__gte', 1), ('ordinal__lte', 999)), name='workflow_dossier_item_ordinal_range')],
            },
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['agency', 'state', 'end_date'], name='workflow_do_agency__591bd8_idx'),
        ),
        migrations.AddConstraint(
            model_name='dossier',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('notation'), 'agency', 'year', name='workflow_dossier_notation_unique'),
        ),
        migrations.AddConstraint(
            model_name='dossier',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('handover__isnull', False), ('state', 'handed_over')), models.Q(models.Q(('state', 'handed_over'), _negated=True), ('handover', None)), _connector='OR'), name='workflow_dossier_handover_state'),
        ),
    ]
