"""Survey use cases: instruments, campaigns, responses, intake, results."""
