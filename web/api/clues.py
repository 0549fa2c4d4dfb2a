"""HTTP endpoints of the clues area."""
from web.api import bp  # noqa: F401
