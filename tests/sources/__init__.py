"""Tests of the sources layer."""
