"""Checkov: Dockerfiles, IaC and secrets checked offline, and its JSON report read as findings."""
