"""Reports to take away: a pilot's one-page summary (HTML and PDF) and Excel workbooks."""
