"""Fetching pages, running scrapes and schedules, and the ``ratecard`` command line."""
