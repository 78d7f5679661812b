"""The coordinating body's side: sign-in, the collection, returns, review, and publishing results.
Viewers see everything here; only coordinators change anything."""

from . import (  # the pages: each registers its routes on bp
    accounts,
    collecting,
    neighbours,
    people,
    register,
    results,
    returns,
    staff,
    staff_results,
)
from .blueprint import bp

__all__ = [
    "bp",
    "accounts",
    "collecting",
    "neighbours",
    "people",
    "register",
    "results",
    "returns",
    "staff",
    "staff_results",
]
