"""HTTP endpoints of the zones area."""
from web.api import bp  # noqa: F401
