"""`python -m builder` is `affsite`."""

from .cli import main

raise SystemExit(main())
