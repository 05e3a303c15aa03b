"""The one exception type the command line turns into a one-line message."""


class DtuError(Exception):
    """A problem the user can fix; its message says what is wrong and what to do."""


def brief(text: object, limit: int = 300) -> str:
    """``text`` (an error or a message) on one line, cut at a word boundary to at most ``limit`` characters."""
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 4]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + " ..."
