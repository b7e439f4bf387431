"""Browsing the history in Datasette: metadata, canned queries, dashboard and SQL functions."""
