"""Data for machines on stdout, without typer: shared by the typer commands and the
listing commands that run without it (``quick``)."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit_json(data: Any) -> None:
    """Data for machines: one JSON document on stdout."""
    from screener.terminal import json_text

    sys.stdout.write(json_text(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")
