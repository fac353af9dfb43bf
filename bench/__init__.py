"""Benchmarks of the emulator: start-up, per-call cost, throughput, scaling, memory (``make bench``)."""
