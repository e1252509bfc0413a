"""knowvember: collect, review and report on the NHS KNOWvember campaign."""

__version__ = "0.1.0"
