"""The report formats shipped with the package, one folder each (``shanxi/``): declarations of
:class:`generator.spec.Format` that the engine interprets. They are loaded by name or folder by
:func:`generator.catalog.load_format`; nothing in the engine imports them (docs/formats.md).
"""
