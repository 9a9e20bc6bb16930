"""Providers behind small Protocols: calendars and mail. Never imports okrmail services."""
