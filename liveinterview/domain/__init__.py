"""Pure domain logic: standard library only, time passed in."""
