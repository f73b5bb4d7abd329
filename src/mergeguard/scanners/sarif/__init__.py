"""SARIF 2.1.0 logs of any tool: the reader, what a result says, and the declaration."""
