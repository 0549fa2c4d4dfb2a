"""HTTP endpoints of the reviews area."""
from web.api import bp  # noqa: F401
