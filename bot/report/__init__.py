"""The steering group's report: figures from the tables, the status card's summary, CSV, and the HTML page."""
