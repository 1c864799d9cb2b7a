"""`python -m asyncclassify` and the `asyncclassify` command: the command line."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType
from typing import NoReturn

INTERRUPTED = 130


def _interrupted_while_starting(_signum: int, _frame: FrameType | None) -> None:
    # Nothing is read, sent or written before the command line has started: leave at once.
    sys.stderr.write("interrupted\n")
    os._exit(INTERRUPTED)


def run() -> NoReturn:
    """Start the command line; a Ctrl-C while its modules load ends it quietly."""
    signal.signal(signal.SIGINT, _interrupted_while_starting)
    from ._cli import main

    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main())


if __name__ == "__main__":
    run()
