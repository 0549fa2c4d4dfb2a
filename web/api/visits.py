"""HTTP endpoints of the visits area."""
from web.api import bp  # noqa: F401
