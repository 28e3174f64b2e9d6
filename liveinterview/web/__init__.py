"""Thin aiohttp handlers, forms, templating, auth and error pages."""
