"""Tests of the scale layer: synthetic catalogue, listing stream worker, Spark engine."""
