"""cardgen: print-ready PDF sheets of small, discreet helpline cards with verified QR codes."""

__version__ = "0.1.0"
