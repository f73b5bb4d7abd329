"""Gitleaks: secrets in the scanned tree or in a pull request's commits, and its JSON report."""
