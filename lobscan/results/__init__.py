"""Results of a scan: the numbers (one aggregation), the web chart, the table, exports."""
