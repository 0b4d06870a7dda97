"""Build messages exactly as WeChat signs (and encrypts) them, and read the replies: `kepu wechat simulate`
and the tests use the same code, so a deployment can be checked before WeChat is pointed at it."""

from __future__ import annotations

import random
import string
import time
from dataclasses import dataclass
from xml.sax.saxutils import escape

from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from kepu.channels.wechat.protocol import safe_fields


@dataclass
class Outgoing:
    params: dict[str, str]
    body: bytes
    nonce: str


def _nonce() -> str:
    return "".join(random.choices(string.ascii_letters + string.digits, k=16))


def message_xml(fields: dict[str, str]) -> str:
    inner = "".join(
        f"<{k}>{v}</{k}>" if k in ("CreateTime", "MsgId") else f"<{k}><![CDATA[{v}]]></{k}>"
        for k, v in fields.items()
    )
    return f"<xml>{inner}</xml>"


def text_fields(
    content: str, openid: str = "o_simulated_user", msg_id: str | None = None, to: str = "gh_kepu"
) -> dict[str, str]:
    return {
        "ToUserName": to,
        "FromUserName": openid,
        "CreateTime": str(int(time.time())),
        "MsgType": "text",
        "Content": content,
        "MsgId": msg_id or str(random.randint(10**15, 10**16)),
    }


def sign(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce, *extra)
    return signer.signature


def outgoing(
    fields: dict[str, str],
    token: str,
    *,
    aes_key: str | None = None,
    app_id: str | None = None,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> Outgoing:
    """Query parameters and body of a push, plaintext or safe mode (aes_key and app_id given)."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or _nonce()
    xml = message_xml(fields)
    params = {
        "signature": sign(token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": fields.get("FromUserName", ""),
    }
    if not aes_key:
        return Outgoing(params, xml.encode("utf-8"), nonce)
    sealed = safe_fields(WeChatCrypto(token, aes_key, app_id).encrypt_message(xml, nonce, timestamp))
    encrypt = sealed["Encrypt"]
    body = f"<xml><ToUserName><![CDATA[{escape(fields.get('ToUserName', ''))}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    params.update(encrypt_type="aes", msg_signature=sign(token, timestamp, nonce, encrypt))
    return Outgoing(params, body.encode("utf-8"), nonce)


def read_reply(
    body: bytes, token: str, *, aes_key: str | None = None, app_id: str | None = None
) -> dict[str, str]:
    """The fields of a reply (decrypted and signature-checked in safe mode); {} for "success"."""
    if body.strip() in (b"", b"success"):
        return {}
    if not aes_key:
        return safe_fields(body)
    sealed = safe_fields(body)
    plain = WeChatCrypto(token, aes_key, app_id).decrypt_message(
        body.decode("utf-8"), sealed["MsgSignature"], sealed["TimeStamp"], sealed["Nonce"]
    )
    return safe_fields(plain)
