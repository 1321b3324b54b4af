"""Load benchmarks for the referral service: `python -m bench --help`."""
