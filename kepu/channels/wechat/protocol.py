"""The official-account protocol: signatures, replay window, size limit, safe XML, AES envelopes."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from kepu.config import Settings


class WeChatRejected(Exception):
    """A request that must not reach the answer path; ``status`` is the HTTP status to return."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Query:
    signature: str = ""
    timestamp: str = ""
    nonce: str = ""
    echostr: str = ""
    encrypt_type: str = ""
    msg_signature: str = ""
    openid: str = ""


def verify(settings: Settings, q: Query, now: float | None = None) -> None:
    """The plain signature over (token, timestamp, nonce) and the replay window; raise WeChatRejected(403)."""
    try:
        check_signature(settings.wechat_token or "", q.signature, q.timestamp, q.nonce)
    except InvalidSignatureException as exc:
        raise WeChatRejected(403, "签名校验失败") from exc
    try:
        sent = int(q.timestamp)
    except ValueError as exc:
        raise WeChatRejected(403, "时间戳无效") from exc
    if abs((now or time.time()) - sent) > settings.wechat_replay_window_s:
        raise WeChatRejected(403, "请求已过期（时间戳超出允许范围）")


def replay_key(q: Query) -> str:
    """The signed part of a push's query: what a captured request could be replayed with."""
    return f"{q.timestamp}:{q.nonce}:{q.msg_signature or q.signature}"


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def safe_fields(xml: bytes | str) -> dict[str, str]:
    """Top-level fields of a WeChat XML document, refusing DTDs and entities (no expansion attacks)."""
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SafeET.ParseError) as exc:
        raise WeChatRejected(400, "消息格式不正确") from exc
    except ValueError as exc:  # expat: "multi-byte encodings are not supported" (GBK declared)
        raise WeChatRejected(400, "消息编码不是 UTF-8") from exc
    if root.tag != "xml":
        raise WeChatRejected(400, "消息格式不正确")
    return {child.tag: (child.text or "") for child in root}


class Envelope:
    """Opens incoming messages and seals replies, in plaintext or safe (AES) mode."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._crypto = (
            WeChatCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_app_id)
            if settings.wechat_aes_key and settings.wechat_app_id
            else None
        )

    def open(self, q: Query, body: bytes) -> tuple[str, bool]:
        """The plaintext XML of a pushed message and whether it came encrypted."""
        if len(body) > self.settings.wechat_max_body_bytes:
            raise WeChatRejected(400, "消息过大")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:  # GBK or UTF-16: WeChat itself always sends UTF-8
            raise WeChatRejected(400, "消息编码不是 UTF-8") from exc
        outer = safe_fields(body)  # hostile XML is refused before any other parser sees it
        if q.encrypt_type.lower() != "aes":
            if self.settings.wechat_effective_mode == "safe":
                raise WeChatRejected(
                    403, "本服务只接受加密消息（安全模式）：请在公众号后台把消息加解密方式设为安全模式"
                )
            return text, False
        if self._crypto is None:
            raise WeChatRejected(
                400, "收到加密消息，但服务器没有配置 KEPU_WECHAT_AES_KEY 和 KEPU_WECHAT_APP_ID"
            )
        if "Encrypt" not in outer:
            raise WeChatRejected(400, "加密消息缺少 Encrypt 字段")
        try:
            plain = self._crypto.decrypt_message(text, q.msg_signature, q.timestamp, q.nonce)
        except InvalidSignatureException as exc:
            raise WeChatRejected(403, "消息签名校验失败") from exc
        except InvalidAppIdException as exc:
            raise WeChatRejected(403, "消息不是发给本公众号的（AppID 不符）") from exc
        except Exception as exc:  # bad padding, bad base64: a broken or forged envelope
            raise WeChatRejected(400, "无法解密消息") from exc
        safe_fields(plain)
        return plain, True

    def seal(self, xml: str, encrypted: bool, nonce: str) -> bytes:
        if not encrypted or self._crypto is None:
            return xml.encode("utf-8")
        return self._crypto.encrypt_message(xml, nonce, str(int(time.time()))).encode("utf-8")


def dedupe_key(fields: dict[str, Any]) -> str:
    """(FromUserName, MsgId) for messages, (FromUserName, CreateTime, Event) for events."""
    user = fields.get("FromUserName", "")
    if fields.get("MsgId"):
        return f"msg:{user}:{fields['MsgId']}"
    return f"evt:{user}:{fields.get('CreateTime', '')}:{fields.get('Event', '')}"
