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


def on_files_stored(sender, document, files, **kwargs) -> None:
    """`documents.services.files_stored` receiver, run INSIDE the transaction that stored the
    files (registration, added files, a signature's new revision): the check of the PDFs is queued
    in the same transaction, so it exists exactly when the files do and no crash can lose it."""
    # A stored file's extension agrees with its content (documents.filetypes checks both).
    if any(f.name.lower().endswith(".pdf") for f in files):
        verify_document.enqueue(document.pk)
