"""The one exception type the command line turns into a one-line message."""


class DtuError(Exception):
    """A problem the user can fix; its message says what is wrong and what to do."""
