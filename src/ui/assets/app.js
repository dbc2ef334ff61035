// tagmark's web app: keyboard shortcuts, tag autocomplete for a comma-separated field, closing
// the bookmarklet's popup after a save, upload progress, and no repeated POST on reload.
// Every page works without it.
"use strict";
(function () {
  var body = document.body;

  // "/" focuses the search box, "n" opens the add form (not while typing somewhere).
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    if (e.key === "/") {
      var q = document.getElementById("q");
      if (q) { e.preventDefault(); q.focus(); q.select(); }
    } else if (e.key === "n" && body.dataset.add) {
      e.preventDefault();
      window.location.href = body.dataset.add;
    }
  });

  // Tags: the datalist offers the account's tags for the last name after the last comma.
  document.querySelectorAll("input[data-tags]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) return;
    var all = Array.prototype.map.call(list.options, function (o) { return o.value; });
    var refresh = function () {
      var value = input.value;
      var cut = value.lastIndexOf(",");
      var prefix = cut < 0 ? "" : value.slice(0, cut + 1) + " ";
      var chosen = value.split(",").map(function (s) { return s.trim().toLowerCase(); });
      var frag = document.createDocumentFragment();
      all.forEach(function (tag) {
        if (chosen.indexOf(tag.toLowerCase()) >= 0 && cut >= 0) return;
        var option = document.createElement("option");
        option.value = prefix + tag;
        frag.appendChild(option);
      });
      list.replaceChildren(frag);
    };
    input.addEventListener("input", refresh);
    input.addEventListener("focus", refresh);
  });

  // A page answering a POST that must not be sent twice (a new token) takes its GET address,
  // so that reloading it does not repeat the POST.
  var replace = body.querySelector("[data-replace-url]");
  if (replace && window.history && history.replaceState) {
    history.replaceState(null, "", replace.dataset.replaceUrl);
  }

  // The bookmarklet's popup closes itself once the link is saved.
  if (body.querySelector("[data-close-window]")) {
    window.setTimeout(function () { window.close(); }, 600);
  }

  // Import: show the upload's progress, then the server's report.
  var upload = document.querySelector("form[data-progress]");
  if (upload && window.XMLHttpRequest && window.FormData) {
    upload.addEventListener("submit", function (e) {
      var bar = document.getElementById(upload.dataset.progress);
      if (!bar) return;
      e.preventDefault();
      bar.hidden = false;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", upload.action);
      xhr.upload.addEventListener("progress", function (p) {
        if (p.lengthComputable) { bar.max = p.total; bar.value = p.loaded; }
      });
      xhr.addEventListener("load", function () {
        var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
        var main = page.querySelector("main");
        if (main) { document.querySelector("main").replaceWith(main); } else { upload.submit(); }
      });
      xhr.addEventListener("error", function () { upload.submit(); });
      xhr.send(new FormData(upload));
    });
  }
})();
