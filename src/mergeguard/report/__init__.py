"""Reporters: pure functions from a scan result to text or JSON."""
