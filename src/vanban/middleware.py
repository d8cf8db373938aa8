"""Project-wide middleware."""

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

# Room for the multipart envelope and the form fields around the largest accepted file.
_ENVELOPE_BYTES = 1024 * 1024


class RequestSizeLimitMiddleware:
    """Refuse, before reading it, a request body far larger than the largest accepted file.

    Files between the limit and limit + envelope are read and then refused by the document
    service with a precise message; this only stops a client from streaming gigabytes at us.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    # The exchange inbox takes larger bodies (whole packages) and refuses with a signed receipt.
    EXEMPT_PREFIXES = ("/api/v1/exchange/inbox/",)

    def __call__(self, request):
        if request.path.startswith(self.EXEMPT_PREFIXES):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.VANBAN["MAX_UPLOAD_BYTES"] + _ENVELOPE_BYTES
        if length > limit:
            message = _("The request is too large: an uploaded file may not exceed %(mb)d MB.") % {
                "mb": settings.VANBAN["MAX_UPLOAD_BYTES"] // (1024 * 1024)
            }
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def out_of_range_message() -> str:
    return _("A number in the request is out of range.")


class OutOfRangeNumberMiddleware:
    """A request naming a record by an id beyond 64 bits (e.g. a form's multi-select posted by a
    script) makes the database driver raise OverflowError — inside Django's own form fields too.
    That is bad input, not a server fault: answer 400 with a message, nothing was written (the
    statement never ran)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OverflowError):
            return HttpResponse(out_of_range_message(), status=400, content_type="text/plain; charset=utf-8")
        return None
