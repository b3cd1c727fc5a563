"""The README's GraphQL examples, section by section, for the tests that run them."""

import re
from pathlib import Path


def graphql_blocks(repo_root: Path, section: str) -> list[str]:
    """The ```graphql blocks of the README section headed `section`, in order."""
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    start = readme.index(section)
    end = readme.index("\n## ", start + len(section))
    return re.findall(r"```graphql\n(.*?)```", readme[start:end], flags=re.S)
