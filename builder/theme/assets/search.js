/* affsite: the search page (/search/). Pagefind (the index made at the end of the build, /pagefind/) answers in the
   browser; this script only reads the form, asks Pagefind and lists the results with textContent (no HTML from the
   index is inserted). Prices follow the site's freshness rule: shown with their age, and replaced by "Check the
   current price on eBay" once older than their limit on this clock, as on the pages themselves. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-search]");
  if (!form) return;
  var input = form.elements.q;
  var sortSelect = form.elements.sort;
  var filtersBox = form.querySelector("[data-filters]");
  var status = document.querySelector("[data-status]");
  var list = document.querySelector("[data-results]");
  var lang = document.documentElement.lang || "en";
  var text = window.affsiteText, number = window.affsiteNumber;  // the page's texts (site.js)
  var FILTERS = [["category", text("category")], ["condition", text("condition")], ["format", text("format")],
    ["price", text("price")], ["shipping", text("shipping")]];
  // The cheapest price band's value ("Under $50"), as price_bands.py words it in this language.
  var under = new RegExp("^" + text("bandUnder").split("%(price)s").map(function (part) {
    return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }).join(".*") + "$");
  var PAGE = 24;
  var pagefind = null;
  var sequence = 0;
  var shown = PAGE;

  function params() { return new URLSearchParams(location.search); }

  // "Under $50" < "$50 to $100" < ... < "$1000 and over": by the first number, "Under" before the band it bounds.
  function bandKey(value) {
    var digits = value.replace(/[.,\s\u00a0\u202f]/g, "").match(/\d+/);
    var n = digits ? parseInt(digits[0], 10) : 0;
    return under.test(value) ? n - 0.5 : n;
  }

  function buildFilters(all) {
    var wanted = params();
    FILTERS.forEach(function (pair) {
      var key = pair[0], values = Object.keys(all[key] || {});
      if (!values.length) return;
      values.sort(key === "price" ? function (a, b) { return bandKey(a) - bandKey(b); }
        : function (a, b) { return a.localeCompare(b); });
      var set = document.createElement("fieldset");
      var legend = document.createElement("legend");
      legend.textContent = pair[1];
      set.appendChild(legend);
      values.forEach(function (value) {
        var label = document.createElement("label");
        var box = document.createElement("input");
        box.type = "checkbox";
        box.name = key;
        box.value = value;
        box.checked = wanted.getAll(key).indexOf(value) >= 0;
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + value));
        set.appendChild(label);
      });
      filtersBox.appendChild(set);
    });
  }

  function chosenFilters() {
    var filters = {};
    FILTERS.forEach(function (pair) {
      var values = [];
      form.querySelectorAll('input[name="' + pair[0] + '"]:checked').forEach(function (box) { values.push(box.value); });
      if (values.length) filters[pair[0]] = { any: values };
    });
    return filters;
  }

  function fresh(meta) {
    var fetched = Date.parse(meta.fetched || "");
    var maxAge = parseInt(meta.max_age || "", 10) * 1000;
    return !isNaN(fetched) && !isNaN(maxAge) && Date.now() - fetched <= maxAge;
  }

  function age(fetched) {
    var minutes = Math.max(0, Math.round((Date.now() - Date.parse(fetched)) / 60000));
    if (minutes <= 1) return text("justNow");
    if (minutes < 60) return text("ago", { time: text("minutes", { num: number(minutes) }) });
    return text("ago", { time: text("hours", { num: number(Math.round(minutes / 60)) }) });
  }

  function priceLine(meta) {
    var line = document.createElement("p");
    line.className = "search-price";
    if (meta.amount && meta.currency && fresh(meta)) {
      var amount = document.createElement("strong");
      var shown;
      try {
        shown = new Intl.NumberFormat(lang, { style: "currency", currency: meta.currency }).format(Number(meta.amount));
      } catch (e) { shown = meta.amount + " " + meta.currency; }
      amount.textContent = meta.auction ? text("bid", { price: shown }) : shown;
      var when = document.createElement("time");
      when.dateTime = meta.fetched;
      when.title = meta.fetched.replace("T", " ").replace("Z", " UTC");
      when.textContent = text("priceChecked", { time: age(meta.fetched) });
      line.appendChild(amount);
      line.appendChild(document.createTextNode(" · "));
      line.appendChild(when);
    } else {
      line.textContent = text("checkPrice");
    }
    return line;
  }

  function item(data) {
    var meta = data.meta || {};
    var li = document.createElement("li");
    li.className = "search-result" + (meta.kind && meta.kind !== "listing" ? " search-result-" + meta.kind : "");
    var link = document.createElement("a");
    link.href = data.url;
    if (meta.image) {
      var img = document.createElement("img");
      img.src = meta.image;
      img.alt = "";
      img.width = 96;
      img.height = 96;
      img.loading = "lazy";
      link.appendChild(img);
    } else if (meta.kind === "listing") {
      // A listing without a photo keeps the photo's place, so that titles line up (as the cards' "no photo").
      var none = document.createElement("span");
      none.className = "search-no-image";
      none.setAttribute("aria-hidden", "true");
      link.appendChild(none);
    }
    var title = document.createElement("span");
    title.className = "search-title";
    var name = meta.title || data.url;
    var label = { category: "categoryResult", guide: "guideResult" }[meta.kind];
    title.textContent = label ? text(label, { title: name }) : name;
    link.appendChild(title);
    li.appendChild(link);
    if (meta.kind === "listing") li.appendChild(priceLine(meta));
    return li;
  }

  function remember() {
    var query = new URLSearchParams();
    if (input.value.trim()) query.set("q", input.value.trim());
    if (sortSelect.value) query.set("sort", sortSelect.value);
    FILTERS.forEach(function (pair) {
      form.querySelectorAll('input[name="' + pair[0] + '"]:checked').forEach(function (box) {
        query.append(pair[0], box.value);
      });
    });
    var search = query.toString();
    history.replaceState(null, "", location.pathname + (search ? "?" + search : ""));
  }

  function run(more) {
    if (!pagefind) return;
    if (!more) shown = PAGE;
    var mine = ++sequence;
    var term = input.value.trim();
    var filters = chosenFilters();
    remember();
    if (!term && !Object.keys(filters).length) {
      list.textContent = "";
      status.textContent = text("typeSomething");
      return;
    }
    var options = { filters: filters };
    if (sortSelect.value) options.sort = { price: sortSelect.value === "price-desc" ? "desc" : "asc" };
    pagefind.search(term || null, options).then(function (search) {
      if (mine !== sequence) return null;
      var results = search.results;
      return Promise.all(results.slice(0, shown).map(function (r) { return r.data(); })).then(function (data) {
        if (mine !== sequence) return;
        list.textContent = "";
        data.forEach(function (d) { list.appendChild(item(d)); });
        var count = results.length;
        var which = "results" + (term ? "For" : "") + (count > shown ? "Showing" : "");
        status.textContent = count === 0 ? text("noResults")
          : text(which, { num: number(count), term: term, shown: number(shown) }, count);
        if (count > shown) {
          var li = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.className = "search-more";
          button.textContent = text("showMore");
          button.addEventListener("click", function () { shown += PAGE; run(true); });
          li.appendChild(button);
          list.appendChild(li);
        }
      });
    }).catch(function () { status.textContent = text("searchUnavailable"); });
  }

  var timer = 0;
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { run(false); }, 200); });
  form.addEventListener("change", function (event) { if (event.target !== input) run(false); });
  form.addEventListener("submit", function (event) { event.preventDefault(); run(false); });

  var start = params();
  input.value = start.get("q") || "";
  sortSelect.value = start.get("sort") || "";
  status.textContent = text("loading");
  // The index of this page's edition (/de/pagefind/ on a site's /de/ edition), as the page names it.
  import(form.getAttribute("data-pagefind") || "/pagefind/pagefind.js").then(function (module) {
    pagefind = module;
    return pagefind.options({ excerptLength: 0 }).then(function () { return pagefind.filters(); });
  }).then(function (all) {
    buildFilters(all || {});
    form.setAttribute("data-ready", "");
    run(false);
  }).catch(function () {
    status.textContent = text("searchUnavailableBrowse");
  });
})();
