"""One exception base for the project; every message says what to do next.

The CLI prints `RagError` messages as one line without a traceback; the HTTP
API answers with each class's `http_status`; anything else is a bug and keeps
its traceback."""


class RagError(Exception):
    """A failure the user can act on. The message names the fix."""

    http_status = 500  # the server's own state or configuration


class InputError(RagError):
    """The question, a file or an option is unusable."""

    http_status = 400


class ModelNotInstalled(RagError):
    """A model's package or file is missing."""

    http_status = 503


class IndexMissing(RagError):
    """No index where one was expected."""

    http_status = 503


class IndexUnwritable(RagError):
    """The index folder cannot be written: its permissions, a read-only
    disk, or a file in its place. The server's configuration, not the
    client's request."""

    http_status = 503


class IndexCorrupt(RagError):
    """The index fails its checksums or cannot be read."""

    http_status = 500


class IndexMismatch(RagError):
    """The index was built with other settings than the ones asked for."""

    http_status = 500


class TooLarge(InputError):
    """An ingest request asks for more work than the limits allow."""

    http_status = 413


class ArticleExists(InputError):
    """An upload would replace a stored article without being asked to."""

    http_status = 409


class DiskFull(RagError):
    """No space left while writing the index; the index is as it was."""

    http_status = 507
