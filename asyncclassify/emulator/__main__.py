"""`python -m asyncclassify.emulator`: serve the emulator."""

import sys

from .cli import main

sys.exit(main())
