"""Vulnerable packages: ecosystems, requirements, images and the Dockerfile lines behind them, fix plans."""
