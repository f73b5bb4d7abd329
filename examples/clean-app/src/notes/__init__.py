"""A tiny notes service used as the well-written counter-example to demo-app."""
