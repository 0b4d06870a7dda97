"""The scale-out path with real servers: redis-server, a Chroma server, two `kepu serve` replicas and
nginx (deploy/nginx/kepu-locations.conf) on loopback. The tests run in order on one cluster: WeChat
retries across replicas, 「更多」 across replicas, re-ingestion under load, Redis and Chroma outages
with recovery, and one replica killed under load."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from kepu.channels.wechat import dialog as wxdialog
from kepu.channels.wechat.simulate import outgoing, read_reply, text_fields
from tests.conftest import NEW_ARTICLE, NEW_ARTICLE_ID, NEW_QUESTION
from tests.support.cluster import WECHAT_AES, WECHAT_APP_ID, WECHAT_TOKEN, Cluster, Replica, running_cluster

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Questions answered the same way by any version (structured, lexical and dense ones).
STEADY = ["第32条由哪个单位负责？", "教育部负责哪些工作？", "科学辟谣平台是什么？", "狗咬伤后要不要打针"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    # both replicas record into one database, as a deployment with a shared KEPU_DATABASE_URL does
    insights = {"KEPU_INSIGHTS_ENABLED": "true", "KEPU_DATABASE_URL": f"sqlite:///{root}/insights.sqlite"}
    with running_cluster(root, shared_cache, insights) as c:
        yield c


def readyz(url: str) -> dict:  # type: ignore[type-arg]
    return httpx.get(url + "/readyz", timeout=10).json()


def ask(url: str, question: str, **kw: str) -> httpx.Response:
    return httpx.post(url + "/api/ask", json={"question": question, **kw}, timeout=15)


def wechat(url: str, fields: dict[str, str]) -> bytes:
    msg = outgoing(fields, WECHAT_TOKEN, aes_key=WECHAT_AES, app_id=WECHAT_APP_ID)
    r = httpx.post(url + "/wechat", params=msg.params, content=msg.body, timeout=15)
    assert r.status_code == 200, r.text
    return r.content


def wechat_text(url: str, text: str, openid: str) -> str:
    body = wechat(url, text_fields(text, openid=openid))
    return read_reply(body, WECHAT_TOKEN, aes_key=WECHAT_AES, app_id=WECHAT_APP_ID)["Content"]


def _get(url: str) -> int:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return 0


def wechat_computations(cluster: Cluster) -> float:
    total = 0.0
    for replica in cluster.replicas:
        for line in httpx.get(replica.url + "/metrics", timeout=10).text.splitlines():
            if line.startswith("kepu_answer_seconds_count") and 'channel="wechat"' in line:
                total += float(line.rsplit(" ", 1)[1])
    return total


def dependency_up(url: str, name: str) -> float | None:
    for line in httpx.get(url + "/metrics", timeout=10).text.splitlines():
        if line.startswith(f'kepu_dependency_up{{dependency="{name}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return None


def wait_for(check: Callable[[], bool], timeout_s: float = 60) -> bool:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


class Load:
    """Background clients asking questions in a loop; every response is recorded."""

    def __init__(self, urls: list[str], questions: list[str], clients_per_url: int = 2) -> None:
        self.records: list[tuple[str, str, float, int, dict]] = []  # type: ignore[type-arg]
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(url, i), daemon=True)
            for url in urls
            for i in range(clients_per_url)
        ]
        self.questions = questions
        self._lock = threading.Lock()

    def _run(self, url: str, offset: int) -> None:
        n = offset
        with httpx.Client(timeout=15) as client:
            while not self._stop.is_set():
                q = self.questions[n % len(self.questions)]
                n += 1
                try:
                    r = client.post(url + "/api/ask", json={"question": q})
                    record = (url, q, time.time(), r.status_code, r.json() if r.status_code == 200 else {})
                except httpx.HTTPError:
                    record = (url, q, time.time(), 0, {})
                with self._lock:
                    self.records.append(record)

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)

    def failed(self, url: str | None = None, after: float = 0.0) -> list:  # type: ignore[type-arg]
        return [r for r in self.records if r[3] != 200 and (url is None or r[0] == url) and r[2] >= after]

    def count(self, url: str | None = None, after: float = 0.0) -> int:
        return sum(1 for r in self.records if (url is None or r[0] == url) and r[2] >= after)


def test_replicas_serve_one_version_from_the_shared_store(cluster: Cluster) -> None:
    states = [readyz(r.url) for r in cluster.replicas]
    assert all(s["status"] == "ready" for s in states), states
    expected = {"index": "ok", "chroma": "ok", "redis": "ok", "embedder": "embedded", "queue": "ok"}
    assert all(s["checks"] == expected for s in states), states
    assert len({s["version"] for s in states}) == 1
    answers = [ask(r.url, "第32条由哪个单位负责？").json()["answer"] for r in cluster.replicas]
    assert answers[0] == answers[1] and "第32条" in answers[0]


def test_wechat_retries_on_different_replicas_are_computed_once(cluster: Cluster) -> None:
    a, b = cluster.replicas[0].url, cluster.replicas[1].url
    before = wechat_computations(cluster)
    fields = text_fields("科学辟谣平台是什么？", openid="o_cluster_retry", msg_id="880000111")
    with ThreadPoolExecutor(3) as pool:  # the first push and two retries, racing, on both replicas
        bodies = list(pool.map(lambda url: wechat(url, fields), [a, b, a]))
    later = wechat(b, fields)  # a retry after the reply was sent
    assert len(set(bodies + [later])) == 1  # identical bytes
    assert wechat_computations(cluster) - before == 1  # one computation in the whole cluster
    reply = read_reply(bodies[0], WECHAT_TOKEN, aes_key=WECHAT_AES, app_id=WECHAT_APP_ID)
    assert "科学辟谣平台" in reply["Content"]


def test_more_continues_on_the_other_replica(cluster: Cluster) -> None:
    a, b = cluster.replicas[0].url, cluster.replicas[1].url
    first = wechat_text(a, "中国科协负责哪些工作？", "o_cluster_more")
    assert "回复「更多」" in first
    second = wechat_text(b, "更多", "o_cluster_more")  # the continuation lives in Redis
    assert second != wxdialog.NO_MORE and second != first


def test_wechat_feedback_refers_to_the_answer_another_replica_sent(cluster: Cluster) -> None:
    a, b = cluster.replicas[0].url, cluster.replicas[1].url
    wechat_text(a, "科学辟谣平台是什么？", "o_cluster_feedback")
    assert wechat_text(b, "有用", "o_cluster_feedback") == wxdialog.THANKS
    assert wechat_text(a, "有用", "o_cluster_feedback") == wxdialog.NO_FEEDBACK_TARGET  # taken once


def test_conversation_memory_follows_the_user_across_replicas(cluster: Cluster) -> None:
    a, b = cluster.replicas[0].url, cluster.replicas[1].url
    ask(a, "卫健委负责哪些工作？", session_id="s-cluster-memory")
    follow = ask(b, "那教育部呢？", session_id="s-cluster-memory").json()
    direct = ask(b, "教育部负责哪些工作？").json()
    assert follow["answer"] == direct["answer"]


STAFF_QUESTION = "村里想办科普讲座可以找谁帮忙？"


def test_staff_draft_on_one_replica_approved_on_the_other_is_served_by_both(cluster: Cluster) -> None:
    """Issue 16's loop on two replicas: accounts in the shared database, sessions in Redis (an editor's
    login works on either replica), the pair published on one and followed by the other."""
    from kepu.staff.accounts import StaffAccounts
    from tests.conftest import admin_login, csrf_from

    root = cluster.knowledge.parent
    accounts = StaffAccounts(f"sqlite:///{root}/insights.sqlite")
    accounts.add("编辑甲", "editor", "editor-password-1")
    accounts.add("审核乙", "reviewer", "reviewer-password-1")
    first, second = (r.url for r in cluster.replicas)
    old = readyz(first)["version"]
    with httpx.Client(base_url=first, timeout=120) as editor:
        admin_login(editor, {"username": "编辑甲", "password": "editor-password-1"})
        csrf = csrf_from(editor.get("/admin/drafts").text)
        answer = "可以联系所在县（市、区）的科协。（示例答案）"
        r = editor.post(
            "/admin/drafts",
            data={
                "csrf": csrf,
                "kind": "pair",
                "question": STAFF_QUESTION,
                "answer": answer,
                "basis": "第30条",
            },
        )
        draft = r.headers["location"].rsplit("/", 1)[1]
        cookie = editor.cookies["kepu_admin"]
    on_other = httpx.get(second + "/admin/drafts", cookies={"kepu_admin": cookie}, timeout=30)
    assert "当前登录：编辑甲" in on_other.text  # the session is shared through Redis
    with httpx.Client(base_url=second, timeout=120) as reviewer:
        admin_login(reviewer, {"username": "审核乙", "password": "reviewer-password-1"})
        page = reviewer.get(f"/admin/drafts/{draft}").text
        done = reviewer.post(f"/admin/drafts/{draft}/approve", data={"csrf": csrf_from(page)})
        assert done.status_code == 303, done.text
    assert wait_for(lambda: all(readyz(u)["version"] != old for u in (first, second)))
    for url in (first, second):
        body = ask(url, STAFF_QUESTION).json()
        assert body["mode"] == "faq" and body["answer"].startswith(answer), (url, body["answer"])


def test_reingest_under_load_switches_every_replica_without_failures_or_mixtures(cluster: Cluster) -> None:
    urls = [r.url for r in cluster.replicas]
    old = readyz(urls[0])["version"]
    steady = {q: ask(urls[0], q).json()["answer"] for q in STEADY}
    (cluster.knowledge / "science" / f"{NEW_ARTICLE_ID}.md").write_text(
        NEW_ARTICLE.format(marker=""), encoding="utf-8"
    )
    with Load(urls, [*STEADY, NEW_QUESTION]) as load:
        assert wait_for(lambda: load.count() > 3)  # the load is running before the ingest starts
        done = cluster.ingest()
        assert done.returncode == 0, done.stderr
        assert wait_for(lambda: all(readyz(u)["version"] != old for u in urls))
        # keep the load on until enough answers came after the switch (a count, not a duration)
        switched = time.time()
        assert wait_for(lambda: all(load.count(u, after=switched) > 3 for u in urls), 120)
    assert not load.failed(), load.failed()[:5]
    assert load.count() > 20
    for url in urls:
        mine = sorted((r for r in load.records if r[0] == url), key=lambda r: r[2])
        for _, q, _, _, body in mine:
            if q in steady:
                assert body["answer"] == steady[q], (q, body["answer"])
        new_modes = [body["mode"] for _, q, _, _, body in mine if q == NEW_QUESTION]
        # the old version refuses, the new one answers; once switched, never back (no mixture)
        assert new_modes[-1] == "extractive"
        switched = new_modes.index("extractive")
        assert all(m == "extractive" for m in new_modes[switched:]), new_modes
    new = ask(urls[1], NEW_QUESTION).json()
    assert new["citations"][0]["source_id"] == NEW_ARTICLE_ID


def test_redis_outage_degrades_to_local_state_and_recovers(cluster: Cluster) -> None:
    urls = [r.url for r in cluster.replicas]
    cluster.redis.stop()
    try:
        for url in urls:
            r = ask(url, "第32条由哪个单位负责？")
            assert r.status_code == 200 and "第32条" in r.json()["answer"]
            state = readyz(url)
            assert state["status"] == "degraded" and state["checks"]["redis"] == "unavailable"
            assert "Redis" in state["detail"]
            assert "科学辟谣平台" in wechat_text(url, "科学辟谣平台是什么？", "o_cluster_redis_down")
            assert dependency_up(url, "redis") == 0
    finally:
        cluster.redis.start()  # same port: the replicas reconnect
    for url in urls:
        assert wait_for(lambda u=url: readyz(u)["status"] == "ready"), readyz(url)
    assert all(dependency_up(url, "redis") == 1 for url in urls)
    fields = text_fields("第32条由哪个单位负责？", openid="o_cluster_after", msg_id="880000222")
    before = wechat_computations(cluster)
    assert wechat(urls[0], fields) == wechat(urls[1], fields)  # shared again
    assert wechat_computations(cluster) - before == 1


def test_chroma_outage_keeps_structured_and_lexical_answers_and_recovers(cluster: Cluster) -> None:
    urls = [r.url for r in cluster.replicas]
    structured = ask(urls[0], "第32条由哪个单位负责？").json()["answer"]
    late = Replica(cluster.root / "replica-late", cluster.env)
    cluster.chroma.stop()
    try:
        for url in urls:
            r = ask(url, "第32条由哪个单位负责？")
            assert r.status_code == 200 and r.json()["answer"] == structured
            lexical = ask(url, "科学辟谣平台是什么？").json()
            assert lexical["mode"] == "extractive" and lexical["citations"]
            unsure = ask(url, "山里捡的野蘑菇可以吃吗").json()
            assert unsure["mode"] in ("refusal", "extractive")  # said plainly either way, never an error
            state = readyz(url)
            assert state["status"] == "degraded" and state["checks"]["chroma"] == "unavailable"
            assert wait_for(lambda u=url: dependency_up(u, "chroma") == 0, 10)
        # a replica that starts while the store is away runs, says it is not ready, and waits for it
        late.start(wait=False)
        assert wait_for(lambda: _get(late.url + "/healthz") == 200)
        assert _get(late.url + "/readyz") == 503
    finally:
        cluster.chroma.start()  # same port, same data
    try:
        for url in [*urls, late.url]:
            assert wait_for(lambda u=url: readyz(u)["status"] == "ready"), readyz(url)
        assert ask(late.url, "第32条由哪个单位负责？").json()["answer"] == structured
    finally:
        late.terminate()
    assert all(dependency_up(url, "chroma") == 1 for url in urls)
    back = ask(urls[0], "山上采的野蘑菇能吃吗？").json()
    assert back["mode"] == "extractive" and back["citations"][0]["source_id"] == "wild-mushrooms"


def test_killing_one_replica_under_load_the_other_keeps_answering(cluster: Cluster) -> None:
    assert cluster.nginx is not None
    a, b = cluster.replicas
    with Load([b.url, cluster.nginx.url], STEADY) as load:
        assert wait_for(lambda: load.count() > 3)  # the load is running before the kill
        a.stop()  # SIGKILL, mid-request
        killed = time.time()
        # wait for answers after the kill (a count, however slow the machine), not for a duration
        assert wait_for(
            lambda: load.count(b.url, after=killed) > 5 and load.count(cluster.nginx.url, after=killed) > 5,
            120,
        )
    assert not load.failed(b.url), load.failed(b.url)[:5]
    assert load.count(b.url, after=killed) > 5
    # through nginx, a connection refused by the dead replica is retried on the live one
    assert load.count(cluster.nginx.url, after=killed) > 5
    assert not load.failed(cluster.nginx.url, after=killed + 1), load.failed(cluster.nginx.url)[:5]
    a.start()
    assert readyz(a.url)["status"] == "ready"
