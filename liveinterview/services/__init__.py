"""Use cases: load, decide with the domain, save, and notify after commit."""
