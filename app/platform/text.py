"""Checks every text input shares, and the field paths problems are reported at."""

from app.platform.errors import Problem

Path = tuple[str, ...]


def check_text(value: str, path: Path, label: str, limit: int) -> list[Problem]:
    if not value.strip():
        return [Problem(path, f"{label} must not be empty.")]
    if len(value) > limit:
        return [Problem(path, f"{label} must be at most {limit} characters.")]
    return []
