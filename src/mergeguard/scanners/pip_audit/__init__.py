"""pip-audit: the scanner on requirements files in scope, and its JSON report."""
