"""The ways to get a page: HTTP (``http``), web-archive captures (``wayback``), git mirrors (``git``)."""
