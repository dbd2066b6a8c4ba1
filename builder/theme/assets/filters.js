/* affsite: sort and filter chips of a category page, over /<slug>/listings.json (category_listings.py).
   The JSON is fetched when a visitor first reaches for a chip, not with the page. While a sort or filter is on,
   the page lists every matching listing of the category (the theme's own cards, from the JSON) instead of its
   page of 24, and the address keeps the choice (?sort=price-asc&free=1) without changing the canonical page.
   Prices older than their limit on this clock count as unknown (sorted last) and are hidden in the cards, as the
   site's freshness script does on the pages. */
(function () {
  "use strict";
  var box = document.querySelector(".sort-filter[data-listings]");
  var grid = document.querySelector("main ul.grid");
  if (!box || !grid || !window.fetch) return;
  var text = window.affsiteText, number = window.affsiteNumber;  // the page's texts (site.js)
  var count = document.querySelector("main p.count");
  var pagination = document.querySelector("main nav.pagination");
  var original = Array.prototype.slice.call(grid.children);
  var originalCount = count ? count.textContent : "";
  var SORTS = [["", text("featured")], ["price-asc", text("priceAsc")], ["price-desc", text("priceDesc")],
    ["ending", text("endingSoonest")], ["newest", text("newlyListed")]];
  var LIMIT = 96;
  var items = null;
  var loading = null;
  var state = { sort: "", condition: "", format: "", free: false };

  function element(tag, attrs, text) {
    var el = document.createElement(tag);
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text) el.textContent = text;
    return el;
  }

  var sort = element("select", { id: "sf-sort", "aria-label": text("sortListings") });
  SORTS.forEach(function (s) { sort.appendChild(element("option", { value: s[0] }, s[1])); });
  var condition = element("select", { id: "sf-condition", "aria-label": text("condition") });
  condition.appendChild(element("option", { value: "" }, text("anyCondition")));
  function chip(name, label) {
    return element("button", { type: "button", class: "chip", "aria-pressed": "false", "data-chip": name }, label);
  }
  var chips = [chip("bin", text("buyItNow")), chip("auction", text("auction")), chip("free", text("freeShipping"))];
  var status = element("span", { class: "sort-filter-status", role: "status", "aria-live": "polite" });
  box.appendChild(sort);
  box.appendChild(condition);
  chips.forEach(function (c) { box.appendChild(c); });
  box.appendChild(status);

  function load() {
    if (!loading) {
      loading = fetch(box.getAttribute("data-listings")).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      }).then(function (data) {
        items = data.items.map(function (it, i) { it.rank = i; return it; });
        var seen = {};
        items.forEach(function (it) { if (it.condition) seen[it.condition] = (seen[it.condition] || 0) + 1; });
        Object.keys(seen).sort(function (a, b) { return seen[b] - seen[a] || a.localeCompare(b); }).forEach(function (c) {
          condition.appendChild(element("option", { value: c }, text("conditionCount", { condition: c, count: number(seen[c]) })));
        });
        if (state.condition) condition.value = state.condition;
      });
    }
    return loading;
  }

  function stale(it) {
    var fetched = Date.parse(it.fetched);
    return isNaN(fetched) || Date.now() - fetched > it.max_age * 1000;
  }

  function price(it) { return it.price === null || stale(it) ? null : it.price; }

  function byKey(key, descending) {
    return function (a, b) {
      var x = key(a), y = key(b);
      if (x === null && y === null) return a.rank - b.rank;
      if (x === null) return 1;  // unknown (stale price, no end time) last, whatever the direction
      if (y === null) return -1;
      return (descending ? y - x : x - y) || a.rank - b.rank;
    };
  }

  function time(value) { var t = value ? Date.parse(value) : NaN; return isNaN(t) ? null : t; }

  var ORDERS = {
    "price-asc": byKey(price, false),
    "price-desc": byKey(price, true),
    ending: byKey(function (it) { return time(it.ends); }, false),
    newest: byKey(function (it) { return time(it.listed); }, true)
  };

  function guard(root) {
    root.querySelectorAll(".price[data-fetched]").forEach(function (el) {
      var fetched = Date.parse(el.getAttribute("data-fetched"));
      var maxAge = parseInt(el.getAttribute("data-max-age"), 10) * 1000;
      if (isNaN(fetched) || isNaN(maxAge) || Date.now() - fetched <= maxAge) return;
      var live = el.querySelector(".price-live");
      var check = el.querySelector(".price-check");
      if (live) live.hidden = true;
      if (check) check.hidden = false;
      el.classList.add("is-stale");
    });
  }

  function active() { return state.sort || state.condition || state.format || state.free; }

  function remember() {
    var query = new URLSearchParams(location.search);
    ["sort", "condition", "format", "free"].forEach(function (k) { query.delete(k); });
    if (state.sort) query.set("sort", state.sort);
    if (state.condition) query.set("condition", state.condition);
    if (state.format) query.set("format", state.format);
    if (state.free) query.set("free", "1");
    var search = query.toString();
    history.replaceState(null, "", location.pathname + (search ? "?" + search : ""));
  }

  function show() {
    chips.forEach(function (c) {
      var name = c.getAttribute("data-chip");
      c.setAttribute("aria-pressed", String(name === "free" ? state.free : state.format === name));
    });
    remember();
    if (!active()) {
      grid.replaceChildren.apply(grid, original);
      if (pagination) pagination.hidden = false;
      if (count) count.textContent = originalCount;
      status.textContent = "";
      return;
    }
    load().then(function () {
      var chosen = items.filter(function (it) {
        if (state.condition && it.condition !== state.condition) return false;
        if (state.format === "auction" && !it.auction) return false;
        if (state.format === "bin" && !it.bin) return false;
        return !(state.free && !it.free);
      });
      if (state.sort) chosen.sort(ORDERS[state.sort]);
      else chosen.sort(function (a, b) { return a.rank - b.rank; });
      var template = document.createElement("template");
      template.innerHTML = chosen.slice(0, LIMIT).map(function (it) { return it.html; }).join("");
      guard(template.content);
      grid.replaceChildren(template.content);
      if (pagination) pagination.hidden = true;
      var values = { shown: number(chosen.length), num: number(items.length), limit: number(LIMIT) };
      var line = text(chosen.length > LIMIT ? "matchingFirst" : "matching", values, items.length);
      if (count) count.textContent = line;
      status.textContent = line;
    }).catch(function () {
      status.textContent = text("sortingUnavailable");
    });
  }

  box.addEventListener("pointerenter", load, { once: true });
  box.addEventListener("focusin", load, { once: true });
  sort.addEventListener("change", function () { state.sort = sort.value; show(); });
  condition.addEventListener("change", function () { state.condition = condition.value; show(); });
  chips.forEach(function (c) {
    c.addEventListener("click", function () {
      var name = c.getAttribute("data-chip");
      if (name === "free") state.free = !state.free;
      else state.format = state.format === name ? "" : name;
      show();
    });
  });

  var start = new URLSearchParams(location.search);
  state.sort = ORDERS[start.get("sort")] ? start.get("sort") : "";
  state.condition = start.get("condition") || "";
  state.format = ["bin", "auction"].indexOf(start.get("format")) >= 0 ? start.get("format") : "";
  state.free = start.get("free") === "1";
  sort.value = state.sort;
  if (active()) show();
})();
