"""detect-secrets: secrets in the files in scope, less those its `.secrets.baseline` accepts."""
