"""The command line: `mergeguard scan`, `convert`, `merge`, `baseline`, `action` and the rest."""
