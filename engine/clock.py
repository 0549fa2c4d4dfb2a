"""The one clock. The app, the engine and every deadline read time only from here."""
from __future__ import annotations

from datetime import datetime, timezone, UTC
from zoneinfo import ZoneInfo


def parse_instant(text: str, tz: ZoneInfo | timezone = UTC) -> datetime:
    """Parse an ISO 8601 instant; a value without offset is read in `tz`."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


class Clock:
    """Real time, or a frozen instant (`clock.now` in config). Always timezone-aware UTC."""

    def __init__(self, frozen: datetime | None = None, tz: str = "Asia/Shanghai"):
        self.tz = ZoneInfo(tz)
        self._frozen = frozen.astimezone(UTC) if frozen else None

    @classmethod
    def from_settings(cls, settings) -> Clock:
        tz = settings.get("clock", "timezone") or "Asia/Shanghai"
        now = settings.get("clock", "now")
        return cls(parse_instant(str(now), ZoneInfo(tz)) if now else None, tz)

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC)

    @staticmethod
    def wall() -> datetime:
        """Real elapsed time, for liveness (worker heartbeats) only; never for business time."""
        return datetime.now(UTC)

    def set(self, instant: datetime) -> None:
        """Move a frozen clock (tests and training only)."""
        self._frozen = instant.astimezone(UTC)

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.tz)
