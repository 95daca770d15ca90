"""`python -m bots.cli` runs the `vivo` command line."""

from bots.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
