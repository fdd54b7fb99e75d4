"""``python -m flowmanager_lint``: the same as the ``flowmanager-lint`` command."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
