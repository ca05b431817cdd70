"""The bureau (财政局) mode of ``disclose serve``: accounts, the list of units, the overview.

Every module here works on the server's SQLite database (a :class:`sqlite3.Connection`) and
creates its own tables with :func:`create_tables`; none imports the web framework, so each is
tested on its own. The web layer (:mod:`generator.web`) calls them.
"""

from __future__ import annotations

import sqlite3


def create_tables(db: sqlite3.Connection) -> None:
    """The bureau's tables in ``db``, created when missing (idempotent)."""
    from . import accounts, journal

    db.executescript(accounts.SCHEMA + journal.SCHEMA)
