"""Datasets: manifests, audio loading, temporal caption tools, split building."""
