"""Speed, memory and load benchmarks of dermadelta, run by make bench from the repository root."""
