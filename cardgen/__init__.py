"""cardgen: print-ready PDF sheets of small, discreet helpline cards with verified QR codes.

The public API (see `cardgen.api`)::

    import cardgen
    problems = cardgen.check("cards.yaml")          # every error and warning, located
    result = cardgen.build("cards.yaml")            # verified PDF bytes, manifest rows
    png = cardgen.preview("cards.yaml", side="back")

A source is a path, a YAML string or a dict. Only what `__all__` names is public; every
other module is internal. Importing cardgen loads no PDF, QR or phone-number library.
"""

__version__ = "0.1.0"

from cardgen.api import (
    BuildResult,
    CampaignSource,
    Previews,
    Session,
    build,
    check,
    preview,
)
from cardgen.errors import CardgenError, InputError, Location, Problem

__all__ = ["BuildResult", "CampaignSource", "CardgenError", "InputError", "Location",
           "Previews", "Problem", "Session", "__version__", "build", "check", "preview"]
