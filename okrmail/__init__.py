"""okrmail: the OKR conversation cadence over email and calendars."""

__version__ = "0.1.0"
