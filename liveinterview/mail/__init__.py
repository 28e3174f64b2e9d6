"""Composing emails from templates and handing them to a transport."""
