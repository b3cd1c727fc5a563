"""Contact memory over GraphQL: recorded by runtimes, recalled at call start, forgotten."""
