"""``python -m generator``: the ``disclose`` command, where its script is not on PATH."""

from .cli import main

main()
