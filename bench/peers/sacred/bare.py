"""Bare python3: the baseline Sacred's start-up cost is measured against."""
