"""The `rolodex` command line."""
