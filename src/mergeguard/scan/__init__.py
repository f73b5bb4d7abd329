"""The scan: which scanners run on what, running them, and folding their outcomes into one result."""
