"""The first-start ADMIN key, handed over in a file only its owner can read.

Printed or logged, the key would end up wherever the output is collected; the file holds
it and the log says only where the file is.
"""

import logging
import os
from pathlib import Path

from app.access.keys import IssuedKey

logger = logging.getLogger("app")

FILE_NAME = "initial-admin-key"


def key_file(data_dir: Path) -> Path:
    return data_dir.resolve() / FILE_NAME


def write_first_key(issued: IssuedKey | None, data_dir: Path) -> None:
    if issued is None:
        return
    path = key_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created owner-only, not narrowed after: no moment when others could read it.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), 0o600)  # a file left from an earlier first start keeps its mode
        file.write(issued.secret + "\n")
    logger.info(
        "First start on an empty database: created workspace 'default' and an ADMIN API key, "
        "written to %s (readable only by its owner). Send it as 'Authorization: Bearer <key>'; "
        "make more with `persona-api keys create`.",
        path,
    )
