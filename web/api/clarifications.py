"""HTTP endpoints of the clarifications area."""
from web.api import bp  # noqa: F401
