"""Modules imported on first use: ``psycopg`` costs ~140 ms of start-up (its C
extension, asyncio, ssl, importlib.metadata...), which ``show`` and ``report`` do not
pay when they read through the bundled libpq (``store.postgres.libpq``).

``LazyModule("psycopg").Error`` imports psycopg then; an ``except psycopg.Error:``
clause is only evaluated when an exception reaches it, so a read that goes well never
imports it. Under ``TYPE_CHECKING`` the modules that use this import the real ones.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import Any


def load(name: str) -> ModuleType:
    """The module ``name``, imported now if it was not; psycopg's logger gets its
    ``NullHandler`` the first time psycopg is loaded through here."""
    import sys

    global _quiet
    module = sys.modules.get(name) or import_module(name)
    if not _quiet and name.split(".", 1)[0] == "psycopg":
        import logging

        # psycopg logs what it ignores while cleaning up after an error (a COPY cut
        # short by a lost connection); without a handler Python would print that to
        # stderr beside the one-line error the user gets. An application that
        # configures logging still sees it.
        logging.getLogger("psycopg").addHandler(logging.NullHandler())
        _quiet = True
    return module


_quiet = False  # psycopg's logger has its NullHandler


class LazyModule:
    """A stand-in for the module ``name``: any attribute imports it (``load``)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(load(self._name), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"
