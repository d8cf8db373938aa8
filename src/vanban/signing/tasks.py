"""Background work of the signing room, run by the task worker (django-tasks database queue)."""

from django_tasks import task

from vanban.documents.models import Document

from . import verification


@task()
def verify_document(document_id: int) -> dict:
    """Check the signatures of every PDF file of a document (enqueued when it is registered); the
    verdicts per file id are kept as the task's result."""
    document = Document.objects.filter(pk=document_id).first()
    if document is None:  # deleted before the worker came to it: nothing to check
        return {}
    return {str(c.file_id): c.verdict for c in verification.check_document(document)}


def on_document_registered(sender, document, actor=None, **kwargs) -> None:
    """`documents.services.document_registered` receiver (sent on commit): queue the check of the
    new document's PDF files. The queue is a database table, so a check survives a restart; the
    request that registered the document never waits for it."""
    if document.files.filter(blob__mime=verification.PDF_MIME).exists():
        verify_document.enqueue(document.pk)
