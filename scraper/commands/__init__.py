"""One module per ``ratecard`` sub-command: each reads options and calls the library, nothing more."""
