"""The layer every other builds on: findings, config, changes, baseline, policy, and safe reading of input."""
