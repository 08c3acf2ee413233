"""One exception base for the project; every message says what to do next.

The CLI prints `RagError` messages as one line without a traceback; anything
else is a bug and keeps its traceback.
"""


class RagError(Exception):
    """A failure the user can act on. The message names the fix."""


class InputError(RagError):
    """The question, a file or an option is unusable."""


class ModelNotInstalled(RagError):
    """A model's package or file is missing."""


class IndexMissing(RagError):
    """No index where one was expected."""


class IndexCorrupt(RagError):
    """The index fails its checksums or cannot be read."""


class IndexMismatch(RagError):
    """The index was built with other settings than the ones asked for."""
