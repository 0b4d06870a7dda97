"""What the official account says back: answers within the budget, events, menus, 「更多」, rate limits."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from anyio import to_thread

from kepu.answering.answer import Answer
from kepu.channels.wechat import format as wxformat
from kepu.channels.wechat.kf import CustomerService, KepuWeChatClient
from kepu.config import Settings
from kepu.errors import Overloaded, QuestionRejected
from kepu.service.asking import Asking, ChannelPolicy
from kepu.state.interfaces import ContinuationStore, FeedbackTargets, RateLimiter
from kepu.state.local import LocalFeedbackTargets
from kepu.state.shared import SharedState

log = logging.getLogger("kepu.wechat")

WELCOME = (
    "欢迎关注科普问答助手！我用经过审核的材料回答问题，并注明出处。您可以这样问：\n"
    "· 市民：科学辟谣平台是什么？\n"
    "· 工作人员：教育部负责哪些工作？ 第32条由哪个单位负责？\n"
    "· 农村朋友：被狗咬了怎么办？ 中暑了怎么办？\n"
    "紧急情况请直接拨打120。"
)
TYPE_PLEASE = "暂时听不清语音内容，请直接打字提问，例如：被狗咬了怎么办？"
HELP = "我目前只能回答文字问题。请直接打字提问，例如：第32条由哪个单位负责？ 被狗咬了怎么办？"
NO_MORE = "没有更多内容了。您可以继续提问。"
TOO_FAST = "您发消息有点快，请稍等一会儿再问，谢谢！"
SLOW = "抱歉，系统正忙，暂时没能查到答案，请稍后再问一次。"
FEEDBACK_WORDS = {"有用": True, "有帮助": True, "没用": False, "没有用": False, "没帮助": False}
THANKS = "谢谢您的反馈！我们会据此改进。"
NO_FEEDBACK_TARGET = "请在收到回答后再回复「有用」或「没用」，谢谢！"


class Enricher(Protocol):
    """Produces a richer answer from the fast one (the configured model); may be slow or fail."""

    async def enrich(self, question: str, fast: Answer, policy: ChannelPolicy) -> Answer | None: ...


class LLMEnricher:
    """The configured model as the richer path: it rewrites the fast answer's passages (Asking.enrich,
    within WeChat's model time, KEPU_LLM_TIMEOUT_WECHAT_S)."""

    def __init__(self, asking: Asking) -> None:
        self.asking = asking

    async def enrich(self, question: str, fast: Answer, policy: ChannelPolicy) -> Answer | None:
        return await self.asking.enrich(question, fast, policy)


@dataclass
class MenuConfig:
    buttons: dict[str, Any] = field(default_factory=dict)  # the body WeChat's menu API takes
    replies: dict[str, str] = field(default_factory=dict)  # CLICK key -> reply text

    @classmethod
    def load(cls, path: Path) -> MenuConfig:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(buttons=data.get("menu", {}), replies=data.get("replies", {}))


class Dialog:
    def __init__(
        self,
        asking: Asking,
        budget_s: float,
        reply_bytes: int,
        more: ContinuationStore,
        limiter: RateLimiter,
        menu: MenuConfig,
        enricher: Enricher | None = None,
        customer_service: CustomerService | None = None,
        feedback: FeedbackTargets | None = None,
    ) -> None:
        self.asking = asking
        self.budget_s = budget_s
        self.reply_bytes = reply_bytes
        self.more = more
        self.limiter = limiter
        self.menu = menu
        self.enricher = enricher
        self.customer_service = customer_service
        self.last_answer: FeedbackTargets = feedback or LocalFeedbackTargets(1800)  # user -> answer_id
        self.late_tasks: set[asyncio.Task[None]] = set()

    async def reply(self, fields: dict[str, str]) -> str | None:
        """The text to send back, or None for "success" (nothing to say)."""
        started = time.monotonic()
        user = fields.get("FromUserName", "")
        kind = fields.get("MsgType", "")
        if kind == "event":
            return self._event(fields)
        if not self.limiter.hit(f"wechat:{user}").allowed:
            return TOO_FAST
        if kind == "text":
            question = fields.get("Content", "").strip()
        elif kind == "voice":
            question = fields.get("Recognition", "").strip()
            if not question:
                return TYPE_PLEASE
        else:
            return HELP
        if not question:
            return HELP
        try:
            question = self.asking.checked(question)  # the web's rule (KEPU_MAX_QUESTION_CHARS)
        except QuestionRejected as exc:
            return f"{exc}，只问一件事。"
        if question in wxformat.MORE_WORDS:
            return self._more(user)
        if question in FEEDBACK_WORDS:
            return self._feedback(user, FEEDBACK_WORDS[question])
        return await self._answer(user, question, started)

    def _event(self, fields: dict[str, str]) -> str | None:
        event = fields.get("Event", "").lower()
        if event == "subscribe":
            return WELCOME
        if event == "click":
            return self.menu.replies.get(fields.get("EventKey", ""), HELP)
        return None  # unsubscribe, VIEW and the rest need no reply

    def _feedback(self, user: str, useful: bool) -> str:
        answer_id = self.last_answer.pop(user)
        if answer_id is None or not self.asking.feedback(answer_id, useful):
            return NO_FEEDBACK_TARGET
        return THANKS

    def _more(self, user: str) -> str:
        nxt = self.more.pop(user)
        return NO_MORE if nxt is None else nxt[0]

    def _split(self, user: str, answer: Answer) -> str:
        parts = wxformat.split(wxformat.phone_text(answer), self.reply_bytes)
        self.more.put(user, parts[1:])
        return parts[0]

    async def _answer(self, user: str, question: str, started: float) -> str:
        # the fast answer: the model, if any, runs after it as the richer path (the enricher)
        policy = self.asking.policy("wechat")
        remaining = self.budget_s - (time.monotonic() - started)
        try:
            asked = await asyncio.wait_for(
                self.asking.ask(question, replace(policy, generate=False), user, f"wechat:{user}"), remaining
            )
        except (TimeoutError, Overloaded):
            log.warning("fast answer missed the WeChat budget")
            return SLOW
        fast = asked.answer
        if self.asking.recorder is not None:
            self.last_answer.put(user, asked.answer_id)
        if self.enricher is None or fast.mode in ("structured", "refusal"):
            return self._split(user, fast)
        task = asyncio.ensure_future(self.enricher.enrich(question, fast, policy))
        remaining = self.budget_s - (time.monotonic() - started)
        try:
            rich = await asyncio.wait_for(asyncio.shield(task), max(remaining, 0.0))
        except TimeoutError:
            self._follow_up(user, fast, task)
            return self._split(user, fast)
        except Exception:
            log.exception("richer answer failed; the fast answer is sent")
            return self._split(user, fast)
        return self._split(user, rich or fast)

    def _follow_up(self, user: str, fast: Answer, task: asyncio.Future[Answer | None]) -> None:
        """When the richer answer comes after the reply went out, send it through the customer-service
        API (if configured); otherwise drop it."""
        if self.customer_service is None:
            task.cancel()
            return
        cs = self.customer_service

        async def later() -> None:
            try:
                rich = await asyncio.wait_for(task, 60)
            except Exception:
                return
            # a late "does not answer" from the model's judgment would contradict the reply already sent
            if rich is not None and rich.mode != "refusal" and rich.answer != fast.answer:
                text = wxformat.split(wxformat.phone_text(rich), self.reply_bytes)[0]
                await to_thread.run_sync(cs.send_text, user, text)

        t = asyncio.ensure_future(later())
        self.late_tasks.add(t)
        t.add_done_callback(self.late_tasks.discard)


def build_dialog(settings: Settings, asking: Asking, shared: SharedState) -> Dialog:
    """The official account's dialog as the settings configure it (kepu serve with KEPU_WECHAT_TOKEN)."""
    customer_service = None
    if settings.wechat_app_id and settings.wechat_app_secret:
        customer_service = CustomerService(KepuWeChatClient(settings, session=shared.token_storage))
    return Dialog(
        asking,
        budget_s=settings.wechat_budget_s,
        reply_bytes=settings.wechat_reply_bytes,
        more=shared.more,
        limiter=shared.wechat_limiter,
        feedback=shared.feedback,
        menu=MenuConfig.load(settings.wechat_menu_file),
        customer_service=customer_service,
        enricher=LLMEnricher(asking) if settings.llm_base_url else None,
    )
