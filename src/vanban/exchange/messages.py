"""Vietnamese (through i18n) messages for the exchange's refusal rules."""

from __future__ import annotations

from django.utils.translation import gettext as _

from . import edxml


def edxml_text(rule: str) -> str:
    return {
        "not_xml": _("The package is not well-formed XML."),
        "doctype": _("The package declares a DOCTYPE, which is not allowed."),
        "entity": _("The package uses XML entities, which are not allowed."),
        "too_large": _("The package is too large."),
        "too_deep": _("The package is nested too deeply."),
        "too_many_elements": _("The package has too many elements."),
        "schema": _("The package does not follow the edXML schema (QCVN 102:2016)."),
        "missing_element": _("A required element is missing."),
        "bad_value": _("An element has a value that is not valid."),
        "manifest_missing_attachment": _("The manifest names an attachment that is not in the package."),
        "manifest_extra_attachment": _("The package holds an attachment that the manifest does not name."),
        "duplicate_content_id": _("Two attachments have the same content identifier."),
        "bad_base64": _("An attachment is not valid base64."),
        "attachment_too_large": _("An attachment is too large."),
        "too_many_attachments": _("The package has too many attachments."),
        "unknown_root": _("This is not an edXML package or status message."),
    }.get(rule, _("The package is not valid."))


def edxml_error(exc: edxml.EdxmlError) -> str:
    where = []
    if getattr(exc, "element", ""):
        where.append(_("element %(element)s") % {"element": exc.element})
    if getattr(exc, "line", None):
        where.append(_("line %(line)s") % {"line": exc.line})
    text = edxml_text(exc.rule)
    return f"{text} ({', '.join(where)}) — {exc}" if where else f"{text} — {exc}"


def signature_text(rule: str) -> str:
    return {
        "unsigned": _("The package is not signed."),
        "wrong_namespace": _(
            "The package's signature is a placeholder outside the XML-DSig namespace; it cannot be verified."
        ),
        "bad_signature": _("The signature does not match the content: the package was altered or signed wrongly."),
        "wrong_algorithm": _("The signature does not use RSA-SHA256."),
        "no_certificate": _("The signature carries no readable certificate."),
        "untrusted": _("The signing certificate is not trusted."),
        "expired": _("The signing certificate is expired or not yet valid."),
        "wrong_signer": _("The package is not signed by its sender."),
    }.get(rule, _("The signature cannot be accepted."))


def refusal_text(rule: str) -> str:
    return {
        "unknown_sender": _("The sender is not a connected system."),
        "unknown_recipient": _("No recipient of the package is an agency of this system."),
    }.get(rule, rule)
