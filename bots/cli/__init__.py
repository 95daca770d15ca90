"""The `vivo` command line."""
