"""Backchannel's performance suite (``make bench``): benchmarks, never timed tests."""
