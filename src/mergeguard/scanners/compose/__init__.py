"""mergeguard's own compose check: dangerous service settings, which no installed scanner checks."""
