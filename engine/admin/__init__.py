"""Administration: units, users, lane mapping, calendars and configuration (issue 10)."""
