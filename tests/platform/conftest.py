from collections.abc import Iterator

import pytest

from tests.support.logs import root_logger_kept


@pytest.fixture
def root_logger_restored() -> Iterator[None]:
    """Puts back the root logger's handlers and level that app.logs.configure() replaces."""
    with root_logger_kept():
        yield
