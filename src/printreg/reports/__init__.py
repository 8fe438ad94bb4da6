"""Charts and the facility feedback report (HTML and PDF)."""
