import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_DATABASE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,63}$")


class Settings(BaseSettings):
    """Everything the process reads from its environment and command line."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    mongodb_uri: str | None = None
    mongodb_database: str = "persona_api"
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    data_dir: Path = Path(".data")
    graphql_introspection: bool = True
    graphql_playground: bool = True
    # The cost (graphql_schema/cost.py) above which a document is refused as QUERY_TOO_COMPLEX.
    graphql_max_cost: int = Field(default=100_000, ge=100)
    # How long a request waits for a database that does not answer before it gets 503.
    database_timeout_seconds: float = Field(default=1.0, gt=0, le=60)
    # /healthz fails once the database has been unreachable this long, so that an orchestrator
    # restarts the process; shorter outages are /readyz's business alone.
    database_outage_seconds: float = Field(default=60.0, gt=0)
    # The embedded database is restarted at once after a crash, then after waits doubling up
    # to this while it keeps crashing.
    database_restart_max_seconds: float = Field(default=30.0, gt=0)
    max_body_bytes: int = Field(default=1_048_576, ge=1_024)  # also caps a websocket message
    # Websockets, counted per process (so per worker with --workers N).
    ws_max_sockets_per_key: int = Field(default=50, ge=1)
    ws_max_sockets_per_workspace: int = Field(default=500, ge=1)
    ws_max_queued_bytes: int = Field(default=1_048_576, ge=1_024)
    # Connections: the whole request (headers and declared body) within this many seconds.
    request_read_timeout: float = Field(default=15.0, gt=0, le=300)
    max_connections: int = Field(default=1_000, ge=1)
    # Contact memory past retention is never served; one process at a time deletes it this
    # often (the database's TTL indexes may be sooner).
    memory_sweep_seconds: float = Field(default=3_600.0, gt=0)
    # Lets refreshKnowledgeSource fetch from loopback and private addresses (a developer's
    # own pages); link-local and cloud metadata addresses stay refused whatever this says.
    knowledge_fetch_allow_private: bool = False
    # Knowledge retrieval indexes kept per process (so per worker), in estimated megabytes;
    # the least recently used go first, to be rebuilt from the database when next asked.
    retrieval_cache_mb: int = Field(default=256, ge=1)
    # A process that claims a due scheduled publish holds it this long; if it dies meanwhile,
    # another process runs the schedule once the lease is over (never both: see
    # app/release/schedule_runs.py). Longer than any publish takes, short enough to retry soon.
    schedule_lease_seconds: float = Field(default=30.0, gt=0, le=3_600)
    # Tests only: wait this long between claiming a schedule and publishing it, a window in
    # which to kill the process. Leave it 0.
    schedule_pause_after_claim_seconds: float = Field(default=0.0, ge=0, le=3_600)

    # /metrics without a key from anywhere, not only from the loopback interface.
    metrics_public: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_capitals(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("mongodb_uri")
    @classmethod
    def _uri_scheme(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        if not value.startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        return value

    @field_validator("mongodb_database")
    @classmethod
    def _database_name(cls, value: str) -> str:
        if not _DATABASE_NAME.match(value):
            raise ValueError("must be 1-63 letters, digits, '_' or '-'")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"{origin!r} is not an http(s) origin")
        return value


class SettingsError(Exception):
    """A setting is invalid; the message names it in one line."""


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with command-line values taking precedence."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(str(part) for part in error["loc"][:1]).upper()
        raise SettingsError(f"invalid setting {name}: {error['msg']}") from None
