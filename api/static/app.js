// Greenlight pages: SLA countdowns, character counters and the war room's live refresh.
// No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  function human(ms) {
    var m = Math.round(Math.abs(ms) / 60000);
    if (m < 60) return m + "m";
    var h = Math.floor(m / 60);
    if (h < 48) return h + "h" + String(m % 60).padStart(2, "0");
    return Math.floor(h / 24) + "d" + (h % 24) + "h";
  }

  function tick() {
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var left = new Date(el.dataset.due).getTime() - Date.now();
      el.textContent = left >= 0 ? human(left) + " " + el.dataset.left : el.dataset.late + " " + human(left);
      el.classList.toggle("late", left < 0);
    });
  }

  function counters() {
    document.querySelectorAll("textarea[data-counter]").forEach(function (ta) {
      var out = document.getElementById(ta.dataset.counter);
      if (!out) return;
      var update = function () { out.textContent = Array.from(ta.value).length + " characters"; };
      ta.addEventListener("input", update);
      update();
    });
  }

  // dirty reports whether the user is typing in a form inside el (then it is not replaced).
  function dirty(el) {
    if (el.contains(document.activeElement) && /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) return true;
    return Array.from(el.querySelectorAll("input[type=text],input:not([type]),textarea")).some(function (i) {
      return i.value !== i.defaultValue;
    });
  }

  function live() {
    var el = document.getElementById("live");
    if (!el || !el.dataset.live) return;
    var busy = false;
    setInterval(function () {
      if (busy || document.hidden) return;
      busy = true;
      fetch(el.dataset.live, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) {
          var rev = r.headers.get("X-Revision");
          if (!r.ok || !rev) return null;
          return r.text().then(function (html) { return { rev: rev, html: html }; });
        })
        .then(function (res) {
          if (res && res.rev !== el.dataset.rev && !dirty(el)) {
            el.innerHTML = res.html;
            el.dataset.rev = res.rev;
            tick();
          }
        })
        .catch(function () {})
        .finally(function () { busy = false; });
    }, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    counters();
    live();
  });
})();
