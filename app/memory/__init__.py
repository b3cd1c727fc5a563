"""Contact memory: what a persona remembers of each contact, recalled at call start."""
