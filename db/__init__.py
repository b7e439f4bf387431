"""The SQLite history: observations, derived price versions and change events, repricing."""
