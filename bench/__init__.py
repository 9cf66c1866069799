"""Benchmarks: ipmsg-tui measured side by side with a baseline in the same run.

Each ``bench/<name>.py`` runs with one command (``sudo .venv/bin/python -m bench.<name>``),
prints a table, and ends with a ``ratio:`` line. See BENCHMARKS.md.
"""
