"""`dtu data`: datasets fetched, verified and laid out under the data home."""
