"""``python -m backchannel_openapi [template.yaml]``: print the OpenAPI document to stdout."""

from __future__ import annotations

import sys
from pathlib import Path

from backchannel_openapi.document import ROOT, render


def main(argv: list[str]) -> int:
    template = Path(argv[0]) if argv else ROOT / "template.yaml"
    sys.stdout.write(render(template))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
