"""Where screener keeps a user's files: ``platformdirs``' user data and cache folders.

On Linux, with an absolute ``$XDG_*_HOME`` or ``$HOME``, they are worked out here
the way platformdirs does (tests check the two agree): importing platformdirs is
~5 ms of every command that reads content or the default database. Elsewhere,
and in any other case, platformdirs answers.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: kind -> (XDG variable, the folder under $HOME without it)
_XDG = {"data": ("XDG_DATA_HOME", "~/.local/share"), "cache": ("XDG_CACHE_HOME", "~/.cache")}


def user_path(kind: str) -> Path:
    """The user's ``kind`` ("data" or "cache") folder of screener."""
    if sys.platform == "linux":
        variable, default = _XDG[kind]
        xdg = os.environ.get(variable, "")
        if xdg.startswith("/"):
            return Path(xdg) / "screener"
        if os.environ.get("HOME", "").startswith("/"):
            return Path(os.path.expanduser(default)) / "screener"
    import platformdirs

    if kind == "data":
        return platformdirs.user_data_path("screener", appauthor=False)
    return platformdirs.user_cache_path("screener", appauthor=False)
