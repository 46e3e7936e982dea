"""``python -m local``: run Backchannel locally until Ctrl-C (see ``make run``)."""

from __future__ import annotations

import sys

from local.runner import main

if __name__ == "__main__":
    sys.exit(main())
