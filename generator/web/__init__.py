"""The web page of ``disclose serve`` (see :mod:`generator.web.app`)."""

from .app import create_app

__all__ = ["create_app"]
