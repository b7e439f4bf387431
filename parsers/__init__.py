"""Pricing pages in, typed price quotes out: pure functions, no network, no database."""
