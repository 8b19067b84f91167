"""What reaches the terminal: warnings and error lines, with control characters escaped.

Text read from files and arguments is printed through :func:`terminal_text`, so a value
cannot send escape sequences to the reader's terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def terminal_text(text: str) -> str:
    r"""``text`` with control characters (other than line breaks) shown as escapes.

    Nothing read from a file or an argument reaches a terminal as an escape sequence.

    Examples
    --------
    >>> terminal_text("a\x1b[31mb\nc")
    'a\\x1b[31mb\nc'
    """
    return "".join(
        ch if ch == "\n" or (ch.isprintable() and ch not in "\u2028\u2029") else repr(ch)[1:-1]
        for ch in text
    )


def warn(messages: Sequence[str | None]) -> None:
    """Print each message (``None`` skipped) as a warning on standard error."""
    for message in messages:
        if message:
            print(f"fairshift: warning: {terminal_text(message)}", file=sys.stderr)
