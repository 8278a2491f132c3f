"""Benchmarks of the hot paths (issue 10): `make bench` / `python -m bench`.

Every figure is a ratio against a baseline measured in the same run on the same machine: a bare Flask
endpoint served by gunicorn with the same worker count (load scenarios), or the raw SQL that a job
needs (tallies, indicator refresh). See bench/RESULTS.md for the latest figures and the capacity plan.
"""
