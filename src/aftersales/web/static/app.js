// aftersales pages: live SLA countdowns, keyboard shortcuts, charts. No framework; HTMX does the requests.
(function () {
  "use strict";
  const body = document.body;
  const lang = body.dataset.lang || "zh";
  // The server's clock decides what is due (tests freeze it); the browser only counts the seconds since load.
  const serverNow = Date.parse(body.dataset.now || "") || Date.now();
  const loadedAt = Date.now();
  const now = () => serverNow + (Date.now() - loadedAt);

  function duration(seconds) {
    seconds = Math.abs(Math.trunc(seconds));
    const d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    const u = lang === "zh" ? ["天", "小时", "分", "秒"] : ["d ", "h ", "m ", "s"];
    // Same as i18n.duration: a zero second part is left out ("3天", "1小时").
    if (d) return (h ? d + u[0] + h + u[1] : d + u[0]).trim();
    if (h) return (m ? h + u[1] + String(m).padStart(2, "0") + u[2] : h + u[1]).trim();
    if (m) return (m + u[2]).trim();
    return (s + u[3]).trim();
  }

  function tick() {
    document.querySelectorAll(".cd[data-due]").forEach((el) => {
      const left = (Date.parse(el.dataset.due) - now()) / 1000;
      el.textContent = (left >= 0 ? el.dataset.left : el.dataset.over) + " " + duration(left);
      if (left < 0 && !el.classList.contains("cd-breached") && !el.classList.contains("cd-done")) {
        el.className = "cd cd-breached";
      }
    });
  }
  setInterval(tick, 1000);

  // ---------------------------------------------------------------- charts (ECharts, served from /static)
  const palette = ["#2463eb", "#0b6e4f", "#c62828", "#b7791f", "#6b2fb3"];
  function drawCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll(".chart[data-chart]").forEach((el) => {
      const spec = JSON.parse(el.dataset.chart);
      const old = window.echarts.getInstanceByDom(el);
      if (old) old.dispose();
      const chart = window.echarts.init(el, null, { renderer: "svg" });
      const stacked = spec.type === "stacked_bar";
      const sevColors = ["#7aa7f7", "#f0b43c", "#c62828"];
      chart.setOption({
        animation: false,
        color: stacked ? sevColors : palette,
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 40, right: 16, top: 36, bottom: 28, containLabel: true },
        xAxis: { type: "category", data: spec.categories, axisLabel: { interval: 0, hideOverlap: true } },
        yAxis: { type: "value", name: spec.unit || "", minInterval: 1 },
        series: spec.series.map((s) => ({
          name: s.name, data: s.data, type: spec.type === "line" ? "line" : "bar",
          stack: stacked ? "all" : undefined, smooth: spec.type === "line", barMaxWidth: 36,
        })),
      });
    });
  }

  // ---------------------------------------------------------------- keyboard shortcuts
  let pendingG = false;
  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }
  function rows() { return Array.from(document.querySelectorAll("#queue-rows tr.row")); }
  function moveCursor(step) {
    const all = rows();
    if (!all.length) return;
    let i = all.findIndex((r) => r.classList.contains("cursor"));
    if (i >= 0) all[i].classList.remove("cursor");
    i = Math.max(0, Math.min(all.length - 1, i + step));
    all[i].classList.add("cursor");
    all[i].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && ev.target.matches("[data-submit-on-ctrl-enter]")) {
      ev.preventDefault();
      ev.target.form.requestSubmit();
      return;
    }
    if (ev.key === "Escape") {
      document.getElementById("shortcut-help")?.setAttribute("hidden", "");
      if (typing(ev.target)) ev.target.blur();
      return;
    }
    if (typing(ev.target) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (pendingG) {
      pendingG = false;
      const link = document.querySelector(`[data-goto="${ev.key}"]`);
      if (link) { ev.preventDefault(); window.location = link.href; }
      return;
    }
    if (ev.key === "g") { pendingG = true; setTimeout(() => (pendingG = false), 1200); return; }
    if (ev.key === "?") { document.getElementById("shortcut-help")?.toggleAttribute("hidden"); return; }
    if (ev.key === "j") { moveCursor(1); return; }
    if (ev.key === "k") { moveCursor(-1); return; }
    if (ev.key === "Enter") {
      const row = document.querySelector("#queue-rows tr.row.cursor");
      if (row) { window.location = row.dataset.href; }
      return;
    }
    const target = document.querySelector(`[data-key="${CSS.escape(ev.key)}"]`);
    if (!target) return;
    ev.preventDefault();
    if (target.type === "radio") {
      target.checked = true;
      target.form.querySelector("textarea")?.focus();
    } else if (target.matches("input, textarea")) {
      target.focus();
    } else {
      target.click();
    }
  });

  document.addEventListener("click", (ev) => {
    const row = ev.target.closest("#queue-rows tr.row");
    if (row && !ev.target.closest("a")) window.location = row.dataset.href;
    if (ev.target.matches("[data-select-on-click]")) ev.target.select();
    if (ev.target.matches("[data-back]") && history.length > 1) { ev.preventDefault(); history.back(); }
    if (ev.target.matches("[data-dismiss]")) ev.target.closest(".flash")?.remove();
    if (ev.target.matches("[data-close]")) ev.target.closest(".modal")?.setAttribute("hidden", "");
    // One click puts a suggested or looked-up answer into the reply box (as a customer-visible reply).
    if (ev.target.matches("[data-insert-reply]")) {
      const composer = document.getElementById("composer");
      const box = composer?.querySelector("textarea[name=body]");
      if (box) {
        box.value = box.value ? box.value.trimEnd() + "\n" + ev.target.dataset.insertReply : ev.target.dataset.insertReply;
        const reply = composer.querySelector("input[name=kind][value=reply]");
        if (reply) reply.checked = true;
        box.focus();
      }
    }
  });

  // The action request form shows only the fields of the chosen kind.
  function showKindFields(root) {
    root.querySelectorAll("select[data-action-kind]").forEach((select) => {
      select.form.querySelectorAll("[data-for-kinds]").forEach((el) => {
        const on = el.dataset.forKinds.split(" ").includes(select.value);
        el.hidden = !on;
        el.querySelectorAll("input, select").forEach((input) => { input.disabled = !on; });
      });
    });
  }
  document.addEventListener("change", (ev) => {
    if (ev.target.matches("select[data-action-kind]")) showKindFields(ev.target.form);
  });

  // Keep what the agent is typing: a poll must not replace a focused form (it only swaps the timeline).
  // A new action clears the previous error; polls (GET) leave it for the agent to read.
  // A polled list with forms in it (callbacks) skips a refresh while the agent is typing into one of them,
  // so a half-written call summary is never swapped away.
  document.addEventListener("htmx:beforeRequest", (ev) => {
    const polled = ev.detail.elt;
    if (polled && polled.hasAttribute && polled.hasAttribute("data-keep-typing")) {
      const active = document.activeElement;
      const typingHere = active && polled.contains(active) && active.matches("input, textarea, select");
      const filled = Array.from(polled.querySelectorAll("input[type=text], input:not([type]), textarea")).some((el) => el.value);
      if (typingHere || filled) { ev.preventDefault(); return; }
    }
    if (ev.detail.requestConfig && ev.detail.requestConfig.verb !== "get") {
      const slot = document.getElementById("flash");
      if (slot) slot.innerHTML = "";
    }
  });
  document.addEventListener("htmx:afterSwap", (ev) => { drawCharts(ev.detail.target); showKindFields(ev.detail.target); tick(); });
  document.addEventListener("DOMContentLoaded", () => { drawCharts(document); showKindFields(document); tick(); });
  window.addEventListener("resize", () => {
    document.querySelectorAll(".chart").forEach((el) => window.echarts?.getInstanceByDom(el)?.resize());
  });
})();
