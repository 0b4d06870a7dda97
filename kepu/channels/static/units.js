// Responsibility browser: unit lookup (any alias), item lookup, unit x item matrix, exports.
(function () {
  "use strict";
  const $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function withPlan(url) {
    const plan = $("plan-select").value;
    if (!plan) return url;
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + "plan=" + encodeURIComponent(plan);
  }

  async function loadPlans() {
    const r = await getJSON("/api/plans");
    const select = $("plan-select");
    if (!r.ok) return;
    r.data.plans.forEach(function (p) {
      const o = document.createElement("option");
      o.value = p.source_id;
      o.textContent = p.title + "（" + (p.region || "") + "，" + p.items + "条）";
      if (p.source_id === r.data.default) o.selected = true;
      select.appendChild(o);
    });
  }

  async function getJSON(url) {
    const resp = await fetch(url);
    const data = await resp.json().catch(function () { return {}; });
    return { ok: resp.ok, status: resp.status, data: data };
  }

  async function loadNames() {
    const r = await getJSON(withPlan("/api/units"));
    if (!r.ok) return;
    $("plan-title").textContent = "《" + r.data.plan.title + "》";
    const list = $("unit-names");
    list.textContent = "";
    $("matrix-csv").href = withPlan("/api/export/matrix.csv");
    $("matrix-xlsx").href = withPlan("/api/export/matrix.xlsx");
    r.data.units.forEach(function (u) {
      [u.name].concat(u.full_name ? [u.full_name] : [], u.aliases).forEach(function (n) {
        const o = document.createElement("option");
        o.value = n;
        if (n !== u.name) o.label = n + " → " + u.name;
        list.appendChild(o);
      });
    });
  }

  function itemLine(it, withUnits) {
    const li = el("li", "item");
    li.dataset.item = it.number;
    li.appendChild(el("span", "num", "第" + it.number + "条 "));
    li.appendChild(el("span", "", it.text));
    if (withUnits) {
      // lead = the first unit the plan lists for the item (牵头); the others take part (参与)
      const others = (it.co_units || []).filter(function (u) { return u !== it.lead; });
      let text = "单独负责";
      if (it.role === "牵头") text = "牵头；参与：" + others.join("、");
      else if (it.role === "参与") text = "参与；牵头：" + it.lead + (others.length ? "；其他参与：" + others.join("、") : "");
      const co = el("div", "co", text);
      co.dataset.role = it.role || "";
      li.appendChild(co);
    }
    return li;
  }

  async function showUnit(name) {
    const out = $("unit-result");
    out.textContent = "查询中…";
    const r = await getJSON(withPlan("/api/units/" + encodeURIComponent(name.trim())));
    out.textContent = "";
    if (!r.ok) {
      out.appendChild(el("p", "", r.data.detail || "查询失败"));
      if (r.data.suggestions && r.data.suggestions.length) {
        const p = el("p", "suggest", "可选：");
        r.data.suggestions.forEach(function (s) {
          const a = el("a", "", s);
          a.href = "#";
          a.addEventListener("click", function (ev) { ev.preventDefault(); $("unit-input").value = s; showUnit(s); });
          p.appendChild(a);
        });
        out.appendChild(p);
      }
      return;
    }
    const u = r.data.unit;
    const title = u.name + (u.full_name && u.full_name !== u.name ? "（" + u.full_name + "）" : "");
    out.appendChild(el("h3", "", title));
    out.appendChild(el("p", "", "列为负责单位 " + u.items + " 条（其中牵头 " + u.lead_items + " 条）；另有 " + u.all_member_items + " 条由各成员单位共同负责。"));
    out.appendChild(el("p", "meta", "牵头、参与按工作要点的列名顺序认定：每条列出的第一个单位牵头，其余单位参与。"));
    const links = el("div", "row");
    [["csv", "导出 CSV"], ["xlsx", "导出 Excel"]].forEach(function (f) {
      const a = el("a", "button secondary", f[1]);
      a.href = withPlan("/api/export/units/" + encodeURIComponent(u.name) + "." + f[0]);
      a.setAttribute("download", "");
      a.id = "unit-" + f[0];
      links.appendChild(a);
    });
    out.appendChild(links);
    let part = null, section = null, list = null;
    r.data.items.forEach(function (it) {
      if (it.part !== part) { part = it.part; section = undefined; out.appendChild(el("h3", "", it.part)); }
      if (it.section !== section) {
        section = it.section;
        if (section) out.appendChild(el("div", "meta", section));
        list = el("ul", "items unit-items");
        out.appendChild(list);
      }
      list.appendChild(itemLine(it, true));
    });
    if (r.data.all_member_items.length) {
      out.appendChild(el("h3", "", "由各成员单位共同负责的条目"));
      const ul = el("ul", "items member-items");
      r.data.all_member_items.forEach(function (it) { ul.appendChild(itemLine(it, false)); });
      out.appendChild(ul);
    }
  }

  async function showItem(n) {
    const out = $("item-result");
    const r = await getJSON(withPlan("/api/items/" + encodeURIComponent(String(n).trim())));
    out.textContent = "";
    if (!r.ok) { out.appendChild(el("p", "", r.data.detail || "查询失败")); return; }
    const it = r.data;
    out.appendChild(el("h3", "", "第" + it.number + "条"));
    out.appendChild(el("div", "meta", it.part + (it.section ? " · " + it.section : "")));
    out.appendChild(el("p", "", it.text));
    out.appendChild(el("p", "units", "负责单位：" + it.units.join("、")));
    out.appendChild(el("p", "lead", it.lead ? "牵头单位：" + it.lead + "（列名第一位）" : "由各成员单位共同负责，没有列出牵头单位"));
  }

  async function showMatrix() {
    const out = $("matrix");
    const r = await getJSON(withPlan("/api/matrix"));
    out.textContent = "";
    if (!r.ok) { out.appendChild(el("p", "", r.data.detail || "加载失败")); return; }
    const wrap = el("div", "table-wrap");
    const table = el("table", "matrix");
    const thead = el("thead");
    const hr = el("tr");
    r.data.header.forEach(function (h, i) { if (i === 1 || i === 2) return; hr.appendChild(el("th", "", h)); });
    thead.appendChild(hr);
    table.appendChild(thead);
    const tbody = el("tbody");
    r.data.rows.forEach(function (row) {
      const tr = el("tr");
      row.forEach(function (cell, i) {
        if (i === 1 || i === 2) return;
        const td = el(i === 0 ? "th" : "td", "", cell);
        if (i === 0) td.title = row[1] + " " + row[2];
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    wrap.appendChild(table);
    out.appendChild(wrap);
  }

  $("unit-form").addEventListener("submit", function (ev) { ev.preventDefault(); showUnit($("unit-input").value); });
  $("item-form").addEventListener("submit", function (ev) { ev.preventDefault(); showItem($("item-input").value); });
  $("show-matrix").addEventListener("click", showMatrix);
  $("plan-select").addEventListener("change", function () {
    $("unit-result").textContent = "";
    $("item-result").textContent = "";
    $("matrix").textContent = "";
    loadNames();
  });
  loadPlans().then(loadNames);
})();
