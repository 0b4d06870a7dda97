// Chat page: sends questions to /api/ask and shows the answer with expandable citations.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("ask-form");
  const input = document.getElementById("question");
  const send = document.getElementById("send");
  let session = localStorage.getItem("kepu-session");
  if (!session) {
    session = "web-" + Math.random().toString(36).slice(2) + Date.now().toString(36);
    localStorage.setItem("kepu-session", session);
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function citationLabel(c) {
    return "《" + c.title + "》" + (c.item !== null && c.item !== undefined ? "第" + c.item + "条" : "");
  }

  function showAnswer(data) {
    const box = el("div", "a " + data.mode);
    box.dataset.mode = data.mode;
    if (data.mode === "refusal") box.appendChild(el("div", "note", "暂时无法回答"));
    box.appendChild(el("div", "text", data.answer));
    if (data.citations && data.citations.length) {
      const cites = el("div", "cites");
      cites.appendChild(el("div", "meta", "出处（点击展开原文）："));
      data.citations.forEach(function (c) {
        const d = el("details", "cite");
        d.appendChild(el("summary", "", citationLabel(c) + (c.section ? " · " + c.section : "")));
        d.appendChild(el("blockquote", "", c.text));
        if (c.units && c.units.length) d.appendChild(el("div", "meta", "负责单位：" + c.units.join("、")));
        cites.appendChild(d);
      });
      box.appendChild(cites);
    }
    box.appendChild(el("div", "meta", "用时 " + Math.round(data.latency_ms) + " 毫秒"));
    if (data.answer_id) box.appendChild(feedbackBar(data.answer_id));
    log.appendChild(box);
    box.scrollIntoView({ block: "nearest" });
  }

  function feedbackBar(answerId) {
    const bar = el("div", "row feedback");
    bar.appendChild(el("span", "meta", "这个回答有用吗？"));
    [[true, "👍 有用"], [false, "👎 没用"]].forEach(function (pair) {
      const b = el("button", "secondary", pair[1]);
      b.type = "button";
      b.dataset.useful = String(pair[0]);
      b.addEventListener("click", async function () {
        bar.textContent = "";
        try {
          await fetch("/api/feedback", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ answer_id: answerId, useful: pair[0] }),
          });
          bar.appendChild(el("span", "meta thanks", "谢谢您的反馈！"));
        } catch (e) {
          bar.appendChild(el("span", "meta", "反馈没有发送成功。"));
        }
      });
      bar.appendChild(b);
    });
    return bar;
  }

  function showError(message) {
    const box = el("div", "a error");
    box.appendChild(el("div", "text", message));
    log.appendChild(box);
  }

  let streaming = false;
  fetch("/api/config").then(function (r) { return r.json(); }).then(function (c) { streaming = !!c.llm; })
    .catch(function () { streaming = false; });

  function askStreaming(question) {
    // With a model configured: show the text as it is written, then the checked final answer.
    const box = el("div", "a pending");
    const text = el("div", "text", "");
    box.appendChild(text);
    log.appendChild(box);
    const url = "/api/ask/stream?q=" + encodeURIComponent(question) + "&session_id=" + encodeURIComponent(session);
    const source = new EventSource(url);
    source.addEventListener("token", function (ev) { text.textContent += JSON.parse(ev.data).text; });
    source.addEventListener("final", function (ev) {
      source.close();
      box.remove();
      showAnswer(JSON.parse(ev.data));
      send.disabled = false;
    });
    source.onerror = function () {
      source.close();
      box.remove();
      showError("网络连接失败，请检查网络后再试。");
      send.disabled = false;
    };
  }

  async function ask(question) {
    question = question.trim();
    if (!question) return;
    log.appendChild(el("div", "q", question));
    send.disabled = true;
    if (streaming) return askStreaming(question);
    try {
      const resp = await fetch("/api/ask", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ question: question, session_id: session, channel: "web" }),
      });
      const data = await resp.json().catch(function () { return {}; });
      if (resp.ok) showAnswer(data);
      else showError(data.detail || "出错了，请稍后再试。");
    } catch (e) {
      showError("网络连接失败，请检查网络后再试。");
    } finally {
      send.disabled = false;
    }
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const q = input.value;
    input.value = "";
    ask(q);
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  document.querySelectorAll(".examples button").forEach(function (b) {
    b.addEventListener("click", function () { ask(b.dataset.q); });
  });
})();
