"""Records answers off the request path: a bounded queue and one writer thread. A database outage loses
records (counted, logged) and never fails or slows an answer."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import queue
import threading
from dataclasses import dataclass

from sqlalchemy import create_engine, delete, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from kepu.answering.answer import Answer
from kepu.insights.models import Asked, Base, Flagged
from kepu.text import normalize, stopwords, strip_punct

log = logging.getLogger("kepu.insights")


def question_key(question: str, words: list[str]) -> str:
    """Near-duplicates share a key: normalised, without punctuation and question words, sorted words."""
    kept = sorted({w for w in words if w not in stopwords() and strip_punct(w)})
    return "".join(kept)[:200] or strip_punct(normalize(question))[:200]


@dataclass
class _Purge:
    before: dt.datetime


@dataclass
class _Feedback:
    answer_id: str
    value: int


class Recorder:
    def __init__(self, database_url: str, salt: str, tokenizer=None, max_queue: int = 10_000) -> None:  # type: ignore[no-untyped-def]
        self.engine = create_engine(database_url, pool_pre_ping=True)
        self.salt = salt.encode("utf-8")
        self.tokenizer = tokenizer
        self.dropped = 0
        self.written = 0
        self._queue: queue.Queue[Asked | Flagged | _Feedback | _Purge | None] = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self._schema_ready = False

    # --- public, called on the request path: never blocks, never raises ---------------------------

    def user_hash(self, user_id: str | None) -> str | None:
        if not user_id:
            return None
        return hmac.new(self.salt, user_id.encode("utf-8"), hashlib.sha256).hexdigest()

    def record(self, answer: Answer, answer_id: str, channel: str, user_id: str | None) -> None:
        words = self.tokenizer.words(normalize(answer.question)) if self.tokenizer else []
        plan_items = [
            f"{c.source_id}#{c.item}" for c in answer.citations if c.kind == "plan" and c.item is not None
        ]
        units = sorted({u for c in answer.citations for u in c.units if u != "各成员单位"})
        sources = list(dict.fromkeys(c.source_id for c in answer.citations if c.kind == "science"))
        topic = (answer.citations[0].title if answer.citations else "") or _topic(words)
        row = Asked(
            answer_id=answer_id,
            at=dt.datetime.now(),
            channel=channel[:16],
            user_hash=self.user_hash(user_id),
            question=answer.question[:1000],
            question_key=question_key(answer.question, words),
            topic=topic[:100],
            mode=answer.mode,
            route=answer.route or "",
            items=" ".join(plan_items),
            units="|".join(units),
            sources="|".join(sources),
            latency_ms=answer.latency_ms,
            refused=answer.mode == "refusal",
            rumor=any(c.verdict for c in answer.citations),
        )
        self._put(row)
        if answer.review:
            self._put(Flagged(answer_id=answer_id, at=row.at, reason=answer.review[:500]))

    def feedback(self, answer_id: str, useful: bool) -> None:
        self._put(_Feedback(answer_id, 1 if useful else -1))

    def purge_older_than(self, days: int) -> None:
        self._put(_Purge(dt.datetime.now() - dt.timedelta(days=days)))

    # --- the writer -------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kepu-insights", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
        self.engine.dispose()

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until everything queued so far is written (tests, shutdown)."""
        done = threading.Event()
        self._queue.put(done)  # type: ignore[arg-type]
        done.wait(timeout)

    def _put(self, item: Asked | Flagged | _Feedback | _Purge) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1

    def _ensure_schema(self) -> None:
        if not self._schema_ready:
            Base.metadata.create_all(self.engine)
            self._schema_ready = True

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            try:
                self._ensure_schema()
                with Session(self.engine) as session, session.begin():
                    if isinstance(item, _Purge):
                        session.execute(delete(Asked).where(Asked.at < item.before))
                        session.execute(delete(Flagged).where(Flagged.at < item.before))
                    elif isinstance(item, _Feedback):
                        session.execute(
                            update(Asked).where(Asked.answer_id == item.answer_id).values(feedback=item.value)
                        )
                    else:
                        session.add(item)
                self.written += 1
            except SQLAlchemyError as exc:
                self.dropped += 1
                log.warning("insights record lost", extra={"error": str(exc).splitlines()[0]})


def _topic(words: list[str]) -> str:
    """The topic of a question nothing answered: its first content word ("痛风能吃海鲜吗" -> 痛风).
    Chinese questions name their subject first; grouping by it gathers the material to write next."""
    content = [w for w in words if w not in stopwords() and strip_punct(w) and len(w) >= 2]
    return content[0] if content else "（其他）"


def purge(database_url: str, before: dt.date) -> int:
    engine = create_engine(database_url)
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as session, session.begin():
            cutoff = dt.datetime.combine(before, dt.time())
            result = session.execute(delete(Asked).where(Asked.at < cutoff))
            session.execute(delete(Flagged).where(Flagged.at < cutoff))
            return int(getattr(result, "rowcount", 0) or 0)
    finally:
        engine.dispose()
