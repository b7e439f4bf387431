"""The pricing engine: usage readers (``usage``), the row pricer (``pricer``), the batch summary path (``batch``), and ``explain``."""
