"""The addresses tools and knowledge sources may point at."""

from urllib.parse import urlsplit

from app.platform.errors import Problem
from app.platform.text import Path

MAX_URL = 2_048
# Plain http only where nothing leaves the machine: a developer's own server.
LOCAL_HOSTS = {"localhost", "127.0.0.1"}


def check_url(url: str, path: Path) -> list[Problem]:
    if len(url) > MAX_URL:
        return [Problem(path, f"URL must be at most {MAX_URL} characters.")]
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return [Problem(path, "URL is not a valid URL.")]
    if not host or parts.scheme not in ("https", "http"):
        return [Problem(path, "URL must be an absolute https:// URL.")]
    if parts.scheme == "http" and host not in LOCAL_HOSTS:
        return [Problem(path, "URL must use https:// (http:// only for localhost and 127.0.0.1).")]
    if parts.username or parts.password:
        return [Problem(path, "URL must not carry a user name or password.")]
    return []
