"""The ``dtu eval`` pipeline: test suites, cached embeddings, metrics, temporal diagnostics, reports."""
