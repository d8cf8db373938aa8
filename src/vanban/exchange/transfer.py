"""The manual path for systems not yet connected: export a document as an .edxml file, and the
messages shown when an imported file is refused."""

from __future__ import annotations

from django.utils.translation import gettext as _

from vanban.documents import storage
from vanban.documents.models import Direction, Document
from vanban.signing import services as signing

from . import edxml, mapping
from .models import Arrival, BusinessType


def export_document(doc: Document) -> bytes:
    """A received document exports as the package it arrived in (its sender's signature intact);
    any other document as a new package signed by its agency."""
    if doc.direction == Direction.INCOMING:
        arrival = Arrival.objects.filter(document=doc).select_related("inbox").first()
        if arrival is not None:
            return storage.read_verified(arrival.inbox.payload_sha256)
    business = edxml.Business(
        doc_type=BusinessType.NEW, reason="Văn bản điện tử mới", paper=doc.delivery_mode == "electronic_with_paper"
    )
    recipients = _earlier_recipients(doc) or [mapping.organ_for(doc.agency)]
    pkg = mapping.package_for(doc, recipients, business, sender=doc.agency)
    return signing.sign_xml(edxml.build_package(pkg), doc.agency)


def _earlier_recipients(doc: Document) -> list[edxml.Organ]:
    """Whom the document was sent to; a document never sent is addressed to its own agency (the
    file is for the record, or for the clerk to pass on by hand)."""
    from .models import Delivery

    seen, out = set(), []
    for code, name in Delivery.objects.filter(dispatch__document=doc).values_list(
        "recipient_identifier", "recipient_name"
    ):
        if code not in seen:
            seen.add(code)
            out.append(edxml.Organ(code, name))
    return out


def refusal_message(receipt) -> str:
    """The reason an imported or received package was refused, for the user."""
    try:
        parsed = edxml.parse(receipt.xml)
        if isinstance(parsed, edxml.ParsedStatus) and parsed.status.description:
            rule, _sep, text = parsed.status.description.partition(": ")
            return text or rule
    except edxml.EdxmlError:
        pass
    return _("The package was refused (%(rule)s).") % {"rule": receipt.refusal}
