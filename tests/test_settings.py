"""Bad settings are refused at start-up in Chinese, naming the setting, what would be valid and the value
(Field bounds translated once in kepu/config.py)."""

from __future__ import annotations

import pytest

from kepu.config import Settings
from kepu.errors import ConfigError
from kepu.service.startup import load_settings

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("field", "good", "bad", "message"),
    [
        ("top_k", 1, 0, "KEPU_TOP_K：应大于 0，当前为 0"),
        ("max_question_chars", 1, -5, "KEPU_MAX_QUESTION_CHARS：应大于 0，当前为 -5"),
        ("embeddings_retries", 0, -1, "KEPU_EMBEDDINGS_RETRIES：应不小于 0，当前为 -1"),
        ("lexical_weight", 0.0, -0.5, "KEPU_LEXICAL_WEIGHT：应不小于 0，当前为 -0.5"),
        ("rerank_min_score", 0.999, 1.0, "KEPU_RERANK_MIN_SCORE：应小于 1，当前为 1.0"),
        ("redis_timeout_s", 0.001, 0.0, "KEPU_REDIS_TIMEOUT_S：应大于 0，当前为 0.0"),
        ("port", 8000, "abc", "KEPU_PORT：应为整数，当前为 'abc'"),
        ("env", "production", "prod", "KEPU_ENV：应为 'development'、'production' 之一，当前为 'prod'"),
    ],
)
def test_a_bad_setting_names_itself_the_bound_and_the_value(field, good, bad, message) -> None:
    assert getattr(load_settings(**{field: good}), field) == good  # the boundary is allowed
    with pytest.raises(ConfigError) as caught:
        load_settings(**{field: bad})
    assert str(caught.value) == f"配置有误：{message}"


def test_the_environment_is_checked_the_same_way(monkeypatch) -> None:
    monkeypatch.setenv("KEPU_CANDIDATES", "0")
    with pytest.raises(ConfigError, match="KEPU_CANDIDATES：应大于 0，当前为 0"):
        load_settings()
    monkeypatch.setenv("KEPU_CANDIDATES", "1")
    assert Settings().candidates == 1
