// recallguard pages: keyboard shortcuts and partial updates, hand-written (no library, works offline).
// Without JavaScript every page still works: forms post and the server redirects.
(function () {
  "use strict";

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function announce(text) {
    var s = document.getElementById("status");
    if (s) s.textContent = text;
  }

  // Partial update: a form marked data-partial posts with fetch; the page it leads to replaces <main>,
  // the address follows, focus goes to the new heading and the status message is announced (aria-live).
  function swap(html, url) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("main");
    var main = document.getElementById("main");
    if (!fresh || !main) { window.location.assign(url); return; }
    // the live region stays in the document (a replaced one would not be announced): only its text changes
    var live = document.getElementById("status");
    var incoming = fresh.querySelector("#status");
    var message = incoming ? incoming.textContent.trim() : "";
    if (live) live.remove();
    main.innerHTML = fresh.innerHTML;
    var placeholder = main.querySelector("#status");
    if (live && placeholder) placeholder.replaceWith(live);
    document.title = doc.title;
    if (url && url !== window.location.href) window.history.pushState({}, "", url);
    var heading = main.querySelector("h1");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    announce(message);
    bind(main);
  }

  function submitPartial(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    announce("Saving…");
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin", headers: { "X-Partial": "1" } })
      .then(function (r) { return r.text().then(function (t) { return [r, t]; }); })
      .then(function (pair) { swap(pair[1], pair[0].url); })
      .catch(function () { buttons.forEach(function (b) { b.disabled = false; }); form.submit(); });
  }

  function bind(root) {
    root.querySelectorAll("form[data-partial]").forEach(function (form) {
      if (form.dataset.bound) return;
      form.dataset.bound = "1";
      form.addEventListener("submit", function (ev) {
        if (form.enctype === "multipart/form-data" && form.querySelector("input[type=file]") &&
            form.querySelector("input[type=file]").files.length) return; // uploads post normally
        ev.preventDefault();
        submitPartial(form, ev.submitter);
      });
    });
    root.querySelectorAll("form.group .actions").forEach(function (bar) {
      if (bar.querySelector("[data-select-all]")) return;
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = "Select all";
      b.setAttribute("data-select-all", "");
      b.addEventListener("click", function () {
        var boxes = bar.closest("form").querySelectorAll("input[type=checkbox][name=listing_id]");
        var all = Array.prototype.every.call(boxes, function (x) { return x.checked; });
        boxes.forEach(function (x) { x.checked = !all; });
        b.textContent = all ? "Select all" : "Select none";
        announce((all ? 0 : boxes.length) + " selected");
      });
      bar.insertBefore(b, bar.firstChild);
    });
  }

  // j / k: next / previous. On a match page they follow the queue; on a list they move focus between rows.
  function move(step) {
    var link = document.getElementById(step > 0 ? "next-link" : "prev-link");
    if (link) { link.click(); return true; }
    var rows = Array.prototype.slice.call(document.querySelectorAll("[data-keynav] .row-link"));
    if (!rows.length) return false;
    var i = rows.indexOf(document.activeElement);
    var next = i < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.min(Math.max(i + step, 0), rows.length - 1);
    rows[next].focus();
    return true;
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    var key = ev.key;
    if (key === "j" || key === "k") {
      if (move(key === "j" ? 1 : -1)) ev.preventDefault();
      return;
    }
    var button = document.querySelector("[data-key='" + key + "']");
    if (button && !button.disabled) {
      ev.preventDefault();
      button.click();
    }
  });

  document.addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest("a#next-link, a#prev-link");
    if (!link || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
    ev.preventDefault();
    fetch(link.href, { credentials: "same-origin" })
      .then(function (r) { return r.text().then(function (t) { return [r, t]; }); })
      .then(function (pair) { swap(pair[1], pair[0].url); })
      .catch(function () { window.location.assign(link.href); });
  });

  window.addEventListener("popstate", function () { window.location.reload(); });

  // photos that cannot be loaded (offline, removed) are replaced by their description
  document.addEventListener("error", function (ev) {
    var img = ev.target;
    if (img && img.tagName === "IMG" && !img.dataset.failed) {
      img.dataset.failed = "1";
      var span = document.createElement("span");
      span.className = "img-missing";
      span.textContent = (img.alt || "image") + " (not available)";
      img.replaceWith(span);
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () { bind(document); });
})();
