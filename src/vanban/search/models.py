"""The search index's bookkeeping row, one per document. The searchable representation itself
lives in a backend-specific table named `search_index`, created by the migration: an FTS5
virtual table on SQLite (rowid = document id), a tsvector column with a GIN index on PostgreSQL."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchEntry(models.Model):
    document = models.OneToOneField(
        "documents.Document", primary_key=True, on_delete=models.CASCADE, related_name="search_entry"
    )
    # The document's full text (OCR or extracted by the capture room), NFC; "" until then.
    text = models.TextField(_("full text"), blank=True)
    # The signer's name folded, for the signer filter.
    signer_key = models.CharField(max_length=50, blank=True)
    # sha256 of exactly what was put in the index: `vanban search check` compares it to a fresh one.
    fingerprint = models.CharField(max_length=64)
    indexed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("search index entry")
        verbose_name_plural = _("search index entries")

    def __str__(self) -> str:
        return f"search entry of document {self.document_id}"


class RecordEntry(models.Model):
    """A searchable record that is not a document: an archival record of the capture room (a
    digitised paper kept for lookup). Rooms above search hand their records in through
    `services.index_record` and search them through `services.search_records` with their own
    permission scope. The searchable representation lives in the backend table `search_records`
    (FTS5 rowid / PostgreSQL record_id = this row's id)."""

    source = models.CharField(max_length=20)  # the room's name for its kind of record, e.g. "capture"
    source_id = models.BigIntegerField()
    agency = models.ForeignKey("orgs.Agency", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=500)
    meta = models.TextField(blank=True)  # the metadata, NFC, one field a line
    text = models.TextField(blank=True)  # the full text (OCR), NFC
    fingerprint = models.CharField(max_length=64)
    indexed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("search index record")
        verbose_name_plural = _("search index records")
        constraints = [models.UniqueConstraint(fields=["source", "source_id"], name="search_record_once")]

    def __str__(self) -> str:
        return f"search entry of {self.source} {self.source_id}"
