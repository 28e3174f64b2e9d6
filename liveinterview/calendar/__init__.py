"""iCalendar in and out: invites, feeds, busy-time import."""
