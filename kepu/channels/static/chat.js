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

  // --- keeping the newest message in view ----------------------------------------------------
  // The input box sticks to the bottom of the screen, so a plain scrollIntoView leaves the newest
  // lines under it. reveal() scrolls so the message sits between the top of what is visible and the
  // input box (the on-screen keyboard shrinks the visual viewport: that is what is visible). When the
  // message is taller than that space, its end is shown: the newest lines are what were hidden.
  const GAP = 8; // px of air between a message and the input box
  let newest = null;

  function visibleBand() {
    const vv = window.visualViewport;
    const top = vv ? vv.offsetTop : 0;
    const bottom = vv ? vv.offsetTop + vv.height : window.innerHeight;
    return { top: top + GAP, bottom: Math.min(form.getBoundingClientRect().top, bottom) - GAP };
  }

  function reveal(node) {
    newest = node;
    const band = visibleBand();
    const r = node.getBoundingClientRect();
    let dy = 0;
    if (r.height > band.bottom - band.top || r.bottom > band.bottom) dy = r.bottom - band.bottom;
    else if (r.top < band.top) dy = r.top - band.top;
    if (Math.abs(dy) >= 1) window.scrollBy(0, dy);
  }

  // scroll-padding-bottom (style.css) keeps focus moves and the browser's own scrolling clear of the
  // input box; it needs the box's real height, which changes with the textarea and the font size.
  function measureInput() {
    document.documentElement.style.setProperty("--ask-h", form.offsetHeight + "px");
  }
  measureInput();
  if (window.ResizeObserver) new ResizeObserver(measureInput).observe(form);

  // The keyboard opening (visual viewport shorter, same zoom) would hide the newest answer again.
  if (window.visualViewport) {
    let last = { h: window.visualViewport.height, s: window.visualViewport.scale };
    let queued = false;
    window.visualViewport.addEventListener("resize", function () {
      const vv = window.visualViewport;
      const shrank = vv.height < last.h - 1 && Math.abs(vv.scale - last.s) < 0.01;
      last = { h: vv.height, s: vv.scale };
      if (!shrank || !newest || !newest.isConnected || queued) return;
      queued = true;
      requestAnimationFrame(function () { queued = false; reveal(newest); });
    });
  }

  function citationLabel(c) {
    return "《" + c.title + "》" + (c.item !== null && c.item !== undefined ? "第" + c.item + "条" : "");
  }

  // The core's first line of an emergency answer (kepu/answering/safety.py EMERGENCY_LINE). The page renders an
  // emergency from the `emergency` flag; this string only keeps the line from showing twice.
  const EMERGENCY_LINE = "情况紧急时，请立即拨打120急救电话。";

  function callButton() {
    // The whole banner is the link: a large, high-contrast target that dials 120 on a phone.
    const a = el("a", "call");
    a.href = "tel:120";
    a.setAttribute("aria-label", "情况紧急，立即拨打120急救电话");
    a.appendChild(el("span", "call-main", "立即拨打120"));
    a.appendChild(el("span", "call-sub", "情况紧急，点这里直接拨打急救电话"));
    return a;
  }

  function showAnswer(data) {
    const emergency = data.emergency === true;
    const box = el("div", "a " + data.mode + (emergency ? " emergency" : ""));
    box.dataset.mode = data.mode;
    let text = data.answer || "";
    if (emergency) {
      // 120 first, whatever the mode: an emergency never looks like the yellow "cannot answer" note.
      box.appendChild(callButton());
      if (text.startsWith(EMERGENCY_LINE)) text = text.slice(EMERGENCY_LINE.length).replace(/^\s+/, "");
    } else if (data.mode === "refusal" && !(data.choices && data.choices.length)) {
      box.appendChild(el("div", "note", "暂时无法回答"));
    }
    if (text) box.appendChild(el("div", "text", text));
    if (data.choices && data.choices.length) {
      // a clarifying reply to a vague question: each choice asks that question when tapped
      const row = el("div", "examples choices");
      data.choices.forEach(function (c) {
        const b = el("button", "", c);
        b.type = "button";
        b.addEventListener("click", function () { ask(c); });
        row.appendChild(b);
      });
      box.appendChild(row);
    }
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
    // latency_ms stays in the JSON for tools; the public is not shown it (issue 17)
    if (data.answer_id) box.appendChild(feedbackBar(data.answer_id));
    log.appendChild(box);
    reveal(box);
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
    reveal(box);
  }

  let streaming = false;
  fetch("/api/config").then(function (r) { return r.json(); }).then(function (c) { streaming = !!c.llm; })
    .catch(function () { streaming = false; })
    .finally(function () { form.dataset.streaming = String(streaming); }); // tells tests the mode is known

  function askStreaming(question) {
    // With a model configured: show the text as it is written, then the checked final answer.
    const box = el("div", "a pending");
    const text = el("div", "text", "");
    box.appendChild(text);
    log.appendChild(box);
    reveal(box);
    const url = "/api/ask/stream?q=" + encodeURIComponent(question) + "&session_id=" + encodeURIComponent(session);
    const source = new EventSource(url);
    source.addEventListener("token", function (ev) {
      text.textContent += JSON.parse(ev.data).text;
      reveal(box);
    });
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
    const bubble = el("div", "q", question);
    log.appendChild(bubble);
    reveal(bubble);
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
