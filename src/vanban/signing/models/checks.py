"""Results of verifying the signatures of PDF files (placeholder: filled by the verification work)."""

__all__: list[str] = []
