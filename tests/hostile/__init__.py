"""Tests of the hostile-pull-request classes: each class of attack in a file of its own."""
