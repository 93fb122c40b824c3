"""Benchmarks: speed and accuracy figures, written as JSON under bench/results/ (never asserted in tests)."""
