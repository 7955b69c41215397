"""Operations of the coding area, keyword-only and typed; views call them, the CLI and the demo too.

``transcripts`` (sources and paragraphs), ``codebook`` (codes, versions), ``codings`` (applying codes,
memos), ``access`` (who may code or read what), ``agreement`` and ``consensus``, ``qdpx_export`` and
``qdpx_import`` (REFI-QDA exchange).
"""


class CodingError(ValueError):
    """A request the coding area refuses; the message is translated text for the user. Nothing changed.

    ``reason`` names the refusal where a caller may act on it (a refused ``.qdpx``: its reason code)."""

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason
