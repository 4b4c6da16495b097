/* aftersales web chat widget. Embed with:
 *   <script src="https://YOUR-HOST/assistant/widget.js" data-customer-token="(optional)"></script>
 * It opens a conversation (POST /api/v1/assistant/conversations), then talks over the WebSocket
 * /api/v1/assistant/ws/{token}, falling back to REST when WebSockets are blocked. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? new URL(script.src, window.location.href).origin : window.location.origin;
  var customerToken = script ? script.getAttribute("data-customer-token") : null;
  // data-collapsed: start as a small button (pages on a phone), and open the conversation on the first tap.
  var collapsed = script ? script.hasAttribute("data-collapsed") : false;
  var conversationToken = null;
  var socket = null;
  var pending = [];

  var box = document.createElement("div");
  box.className = collapsed ? "as-chat as-min" : "as-chat";
  box.innerHTML =
    '<style>.as-chat{position:fixed;right:16px;bottom:16px;width:340px;max-height:70vh;display:flex;' +
    'flex-direction:column;font:14px/1.5 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;' +
    'background:#fff;border:1px solid #ddd;border-radius:10px;box-shadow:0 4px 16px rgba(0,0,0,.12);z-index:99999}' +
    '.as-head{padding:10px 12px;background:#1f6feb;color:#fff;border-radius:10px 10px 0 0;cursor:pointer}' +
    '.as-chat.as-min{width:auto}.as-chat.as-min .as-log,.as-chat.as-min .as-form{display:none}' +
    '.as-chat.as-min .as-head{border-radius:10px}' +
    '.as-log{flex:1;overflow-y:auto;padding:10px;min-height:240px}' +
    '.as-msg{margin:6px 0;padding:6px 10px;border-radius:8px;white-space:pre-wrap;max-width:85%}' +
    '.as-me{background:#e7f0ff;margin-left:auto}.as-bot{background:#f4f4f4}' +
    '.as-rate{font-size:12px;color:#888;cursor:pointer;margin-left:6px}' +
    '.as-form{display:flex;border-top:1px solid #eee}.as-form input{flex:1;border:0;padding:10px;outline:0}' +
    '.as-form button{border:0;background:#1f6feb;color:#fff;padding:0 14px;border-radius:0 0 10px 0}</style>' +
    '<div class="as-head">在线客服</div><div class="as-log" aria-live="polite"></div>' +
    '<form class="as-form"><input maxlength="2000" placeholder="请输入您的问题" aria-label="消息">' +
    "<button>发送</button></form>";
  document.body.appendChild(box);
  var log = box.querySelector(".as-log");
  var input = box.querySelector("input");

  function add(text, mine, messageId) {
    var div = document.createElement("div");
    div.className = "as-msg " + (mine ? "as-me" : "as-bot");
    div.textContent = text;
    if (messageId) {
      [["👍", 1], ["👎", -1]].forEach(function (pair) {
        var span = document.createElement("span");
        span.className = "as-rate";
        span.textContent = pair[0];
        span.title = pair[1] > 0 ? "有帮助" : "没有帮助";
        span.onclick = function () { rate(messageId, pair[1], div); };
        div.appendChild(span);
      });
    }
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
  }

  function api(path, body) {
    return fetch(base + "/api/v1/assistant" + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).then(function (r) { return r.json(); });
  }

  function rate(messageId, value, div) {
    api("/conversations/" + conversationToken + "/messages/" + messageId + "/rating", { rating: value }).then(
      function () {
        div.querySelectorAll(".as-rate").forEach(function (s) { s.remove(); });
      }
    );
  }

  function show(reply) {
    if (reply.error) { add("出错了：" + reply.error.message, false); return; }
    add(reply.text, false, reply.message_id);
  }

  function send(text) {
    add(text, true);
    if (socket && socket.readyState === 1) {
      socket.send(JSON.stringify({ text: text }));
    } else {
      api("/conversations/" + conversationToken + "/messages", { text: text }).then(show);
    }
  }

  function start() {
    api("/conversations", customerToken ? { channel: "web", customer_token: customerToken } : { channel: "web" })
    .then(function (started) {
      conversationToken = started.token;
      add(started.greeting, false);
      try {
        socket = new WebSocket(base.replace(/^http/, "ws") + "/api/v1/assistant/ws/" + conversationToken);
        socket.onmessage = function (event) { show(JSON.parse(event.data)); };
        socket.onopen = function () { pending.splice(0).forEach(send); };
      } catch (e) { socket = null; }
    });
  }
  var started = false;
  function open() {
    box.classList.remove("as-min");
    if (!started) { started = true; start(); }
  }
  box.querySelector(".as-head").addEventListener("click", function () {
    if (box.classList.contains("as-min")) { open(); } else if (collapsed) { box.classList.add("as-min"); }
  });
  if (!collapsed) open();

  box.querySelector("form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    if (!conversationToken) { pending.push(text); return; }
    send(text);
  });
})();
