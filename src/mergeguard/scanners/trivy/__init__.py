"""Trivy: configuration and secret scans, dependency and image scans, its vulnerability reports."""
