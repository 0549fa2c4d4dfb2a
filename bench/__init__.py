"""Benchmark harness: cluedesk's complete-task step against a raw SpiffWorkflow baseline.

Run it with `python -m bench` (or `make bench`); `python -m bench --quick` is a smoke run.
"""
