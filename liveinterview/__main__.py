"""`python -m liveinterview` is the same as the `liveinterview` command."""

from liveinterview.cli import main

raise SystemExit(main())
