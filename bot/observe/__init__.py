"""Operating the service: log context (correlation ids), Prometheus metrics and the HTTP access log."""
