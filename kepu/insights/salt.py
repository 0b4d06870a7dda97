"""The salt for hashing user ids: configured in production, generated once per data dir in development."""

from __future__ import annotations

import secrets

from kepu.config import Settings
from kepu.errors import ConfigError


def insights_salt(settings: Settings) -> str:
    if settings.insights_salt:
        if len(settings.insights_salt) < 16:
            raise ConfigError("KEPU_INSIGHTS_SALT 至少需要 16 个字符的随机字符串")
        return settings.insights_salt
    if settings.env == "production":
        raise ConfigError("生产环境必须设置 KEPU_INSIGHTS_SALT（用于对用户标识做加盐哈希）")
    path = settings.data_dir / "insights.salt"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    salt = secrets.token_hex(32)
    path.write_text(salt, encoding="utf-8")
    return salt
