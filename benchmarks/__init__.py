"""Benchmarks: import, re-import, reports and start-up at a million posts, against targets.

Run `python -m benchmarks` (see `python -m benchmarks --help` and docs/performance.md). Every
figure runs the real `knowvember` command as a child process and records its wall time and
the child's peak resident memory; a plain sqlite3 `executemany` baseline measured in the same
run turns the import figure into a ratio that holds on any machine.
"""
