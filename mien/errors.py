"""The one exception type users see: its message is a complete one-line explanation."""


class MienError(Exception):
    """A problem with the user's input or settings, reported as one line without a traceback."""
