"""Reading the official document into structured catalog data.

``parser`` turns the text into plain dataclasses (no database); ``materials``, ``flows`` and
``contacts`` split single fields further; ``loader`` writes a parsed edition as a catalog
version and reports the differences from the published one.
"""
