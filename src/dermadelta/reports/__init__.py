"""HTML and PDF reports, charts and before/after visuals built from library results."""
