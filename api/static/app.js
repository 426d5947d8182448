// Greenlight pages: SLA countdowns, character counters, the war room's live refresh and
// the post editor's media.
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


  // mediaEditor drives the post editor's media: uploads from the file picker or dropped
  // files (XMLHttpRequest, for its upload progress), then each item's alt text, order and
  // removal. The form posts media_id in order and media_alt_<id>.
  function mediaEditor() {
    var ed = document.getElementById("media-editor");
    if (!ed) return;
    var list = document.getElementById("media-list");
    var uploads = document.getElementById("media-uploads");
    var input = document.getElementById("media-file");
    var drop = document.getElementById("media-drop");
    var tpl = document.getElementById("media-item-tpl");
    var form = ed.closest("form");
    var pending = 0;

    function clientID() {
      if (ed.dataset.client) return ed.dataset.client;
      var sel = document.getElementById(ed.dataset.clientSelect || "");
      return sel ? sel.value : "";
    }

    function refresh() {
      var n = list.querySelectorAll(".mediaitem").length;
      document.querySelectorAll("[data-media-limit]").forEach(function (el) {
        var limit = Number(el.dataset.mediaLimit);
        el.textContent = n + " / " + limit;
        el.classList.toggle("over", n > limit);
      });
    }

    function addItem(m) {
      if (list.querySelector('[data-id="' + m.id + '"]')) return; // the same file again
      var li = tpl.content.firstElementChild.cloneNode(true);
      li.dataset.id = m.id;
      li.querySelector("input[type=hidden]").value = m.id;
      var alt = li.querySelector("input.alt");
      alt.id = "alt-" + m.id;
      alt.name = "media_alt_" + m.id;
      li.querySelector("label.altlabel").htmlFor = alt.id;
      var el;
      if (m.video) {
        el = document.createElement("video");
        el.src = m.url;
        el.preload = "metadata";
        el.muted = true;
      } else {
        el = document.createElement("img");
        el.src = m.thumbnail_url || m.url;
        el.alt = "";
      }
      el.className = "thumb";
      li.querySelector(".thumbbox").appendChild(el);
      list.appendChild(li);
      refresh();
    }

    function upload(file) {
      var row = document.createElement("li");
      row.className = "upload";
      var name = document.createElement("span");
      name.textContent = file.name;
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", ed.dataset.tUploading + " " + file.name);
      row.appendChild(name);
      row.appendChild(bar);
      uploads.appendChild(row);
      var fail = function (msg) {
        row.classList.add("failed");
        row.setAttribute("role", "alert");
        bar.remove();
        name.textContent = ed.dataset.tFailed + " — " + file.name + ": " + msg;
      };
      var cid = clientID();
      if (!cid) { fail(ed.dataset.tPick); return null; }
      return function (done) {
        var data = new FormData();
        data.append("_csrf", ed.dataset.csrf);
        data.append("file", file);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", "/clients/" + encodeURIComponent(cid) + "/media");
        xhr.setRequestHeader("Accept", "application/json");
        xhr.upload.addEventListener("progress", function (e) {
          if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total);
        });
        pending++;
        xhr.addEventListener("loadend", function () {
          pending--;
          var res = null;
          try { res = JSON.parse(xhr.responseText); } catch (e) { res = null; }
          if (xhr.status >= 200 && xhr.status < 300 && res && res.id) {
            row.remove();
            addItem(res);
          } else {
            fail(res && res.error ? res.error.message : (xhr.status ? String(xhr.status) : "network error"));
          }
          done();
        });
        xhr.send(data);
      };
    }

    // Files upload one after the other, so that the list keeps the order they were chosen
    // in; each shows its bar from the start.
    var queue = [];
    var busy = false;
    function add(files) {
      Array.from(files || []).forEach(function (file) { queue.push(upload(file)); });
      next();
    }
    function next() {
      if (busy || !queue.length) return;
      var start = queue.shift();
      if (!start) { next(); return; }
      busy = true;
      start(function () { busy = false; next(); });
    }

    input.addEventListener("change", function () {
      add(input.files);
      input.value = "";
    });
    ["dragenter", "dragover"].forEach(function (type) {
      drop.addEventListener(type, function (e) {
        e.preventDefault();
        drop.classList.add("over");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      drop.addEventListener(type, function () { drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer) add(e.dataTransfer.files);
    });

    list.addEventListener("click", function (e) {
      var btn = e.target.closest("button");
      if (!btn) return;
      var li = btn.closest(".mediaitem");
      if (btn.hasAttribute("data-remove")) {
        var next = li.nextElementSibling || li.previousElementSibling;
        li.remove();
        if (next) next.querySelector("button[data-remove]").focus(); else input.focus();
        refresh();
        return;
      }
      if (btn.dataset.move === "up" && li.previousElementSibling) {
        list.insertBefore(li, li.previousElementSibling);
      } else if (btn.dataset.move === "down" && li.nextElementSibling) {
        list.insertBefore(li.nextElementSibling, li);
      }
      btn.focus(); // moving the item must not lose the keyboard's place
    });

    if (form) {
      form.addEventListener("submit", function (e) {
        if (pending > 0 || queue.length > 0) e.preventDefault(); // wait for the uploads to finish
      });
    }
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    counters();
    live();
    mediaEditor();
  });
})();
