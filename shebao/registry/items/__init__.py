"""One module per family of items; importing this package registers every item's effect."""

from . import (
           bills,
           bureau,
           cards,
           employee,
           employer,
           flexible,
           medical,
           pension,
           residents,
           transfers,
           unemployment,
)

__all__ = ["bills", "bureau", "cards", "employee", "employer", "flexible", "medical", "pension", "residents",
           "transfers", "unemployment"]
