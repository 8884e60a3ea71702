// Session filter and transcript pages for the practicum report. No network, no libraries.
// Rows are built with textContent only: stored text never becomes markup.
(function () {
  "use strict";
  var text = document.getElementById("filter-text");
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var block = document.getElementById("session-data");
  var data = block ? JSON.parse(block.textContent) : { fields: [], rows: [] };
  var col = {};
  data.fields.forEach(function (name, i) { col[name] = i; });
  var searchable = ["id", "scenario_title", "scenario_id", "subject", "grade", "source", "status", "stop_reason",
                    "teacher_spec", "student_spec", "run_id"];
  var haystack = data.rows.map(function (r) {
    return searchable.map(function (f) { return r[col[f]] == null ? "" : String(r[col[f]]); }).join(" ").toLowerCase();
  });
  var tbody = document.querySelector("table.sessions tbody");
  var list = document.getElementById("transcript-list");
  var articles = list ? Array.prototype.slice.call(list.querySelectorAll("article.transcript")) : [];
  var count = document.getElementById("filter-count");
  var more = document.getElementById("sessions-more");
  var sectionEl = document.getElementById("sessions");
  var rowPage = sectionEl ? parseInt(sectionEl.getAttribute("data-page"), 10) || 200 : 200;
  var transcriptPage = list ? parseInt(list.getAttribute("data-page"), 10) || 20 : 20;
  var rowLimit = rowPage;
  var page = 0;
  var shownArticles = [];

  function el(tag, textValue, className) {
    var node = document.createElement(tag);
    if (textValue !== undefined && textValue !== null) { node.textContent = String(textValue); }
    if (className) { node.className = className; }
    return node;
  }

  function buildRow(r) {
    var tr = el("tr");
    tr.setAttribute("data-session", r[col.id]);
    function td(children) {
      var cell = el("td");
      children.forEach(function (c) { cell.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
      tr.appendChild(cell);
    }
    function value(name) { var v = r[col[name]]; return v === null || v === undefined ? "" : String(v); }
    td([value("id")]);
    td([value("scenario_title"), el("br"), el("span", value("scenario_id"), "muted")]);
    td([value("subject")]);
    td([value("grade")]);
    td([value("source")]);
    td(r[col.stop_reason] ? [value("status") + " ", el("span", "(" + value("stop_reason") + ")", "muted")]
                          : [value("status")]);
    td([el("code", value("teacher_spec"))]);
    td([el("code", value("student_spec"))]);
    td([value("run_id")]);
    td([value("n_turns")]);
    td([r[col.human_raters] ? value("human_raters") : ""]);
    td([r[col.judge_scores] ? value("judge_scores") : ""]);
    if (r[col.has_transcript]) {
      var a = el("a", "transcript");
      a.href = "#s" + value("id");
      td([a]);
    } else {
      var dash = el("span", "-", "muted");
      dash.title = "not included: see the note above the transcripts";
      td([dash]);
    }
    return tr;
  }

  function wanted(r, filters) {
    for (var i = 0; i < filters.length; i++) {
      var v = r[col[filters[i][0]]];
      if ((v === null || v === "" ? "(none)" : String(v)) !== filters[i][1]) { return false; }
    }
    return true;
  }

  function apply() {
    var terms = (text ? text.value : "").toLowerCase().split(/\s+/).filter(Boolean);
    var filters = selects.filter(function (s) { return s.value; }).map(function (s) {
      return [s.getAttribute("data-filter"), s.value];
    });
    var matched = [];
    var ids = {};
    data.rows.forEach(function (r, i) {
      if (wanted(r, filters) && terms.every(function (t) { return haystack[i].indexOf(t) !== -1; })) {
        matched.push(r);
        ids[r[col.id]] = true;
      }
    });
    if (tbody) {
      var fragment = document.createDocumentFragment();
      matched.slice(0, rowLimit).forEach(function (r) { fragment.appendChild(buildRow(r)); });
      tbody.replaceChildren(fragment);
    }
    if (count) {
      count.textContent = matched.length.toLocaleString() + " of " + data.rows.length.toLocaleString() +
        " sessions" + (matched.length > rowLimit ? " (first " + rowLimit.toLocaleString() + " shown)" : "");
    }
    if (more) { more.hidden = matched.length <= rowLimit; }
    shownArticles = articles.filter(function (a) { return ids[a.getAttribute("data-session")]; });
    showPage(Math.min(page, Math.max(0, Math.ceil(shownArticles.length / transcriptPage) - 1)));
  }

  function showPage(n) {
    var pages = Math.max(1, Math.ceil(shownArticles.length / transcriptPage));
    page = Math.max(0, Math.min(n, pages - 1));
    var visible = {};
    shownArticles.slice(page * transcriptPage, (page + 1) * transcriptPage).forEach(function (a) {
      visible[a.id] = true;
    });
    articles.forEach(function (a) { a.hidden = !visible[a.id]; });
    Array.prototype.forEach.call(document.querySelectorAll(".pager-status"), function (node) {
      node.textContent = shownArticles.length ? "page " + (page + 1) + " of " + pages + " (" +
        shownArticles.length.toLocaleString() + " transcripts)" : "no transcript matches the filter";
    });
  }

  function reveal() {
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!target || !target.classList.contains("transcript")) { return; }
    var index = shownArticles.indexOf(target);
    if (index === -1) { shownArticles = articles.slice(); index = shownArticles.indexOf(target); }
    showPage(Math.floor(index / transcriptPage));
    target.scrollIntoView();
  }

  function restart() { page = 0; rowLimit = rowPage; apply(); }

  var timer = null;
  if (text) {
    text.addEventListener("input", function () {
      clearTimeout(timer);
      if (data.rows.length > 2000) { timer = setTimeout(restart, 150); } else { restart(); }  // debounce when large
    });
  }
  selects.forEach(function (s) { s.addEventListener("change", restart); });
  if (more) { more.addEventListener("click", function () { rowLimit += rowPage; apply(); }); }
  Array.prototype.forEach.call(document.querySelectorAll(".pager button"), function (b) {
    b.addEventListener("click", function () {
      showPage(page + parseInt(b.getAttribute("data-step"), 10));
      if (list) { list.scrollIntoView(); }
    });
  });
  window.addEventListener("hashchange", reveal);
  apply();
  reveal();
  document.body.setAttribute("data-ready", "1");
})();
