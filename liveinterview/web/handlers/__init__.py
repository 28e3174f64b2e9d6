"""Request handlers, grouped by the page family they serve."""
