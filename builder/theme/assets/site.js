/* affsite: the two things a static page cannot do without script, both optional.
   1. Freshness guard: eBay allows listing data at most a few hours old; once a shown price is older than its limit
      on the visitor's clock, replace it with "Check the current price on eBay".
   2. Relative times: a static page shows exact times ("2026-12-02 04:00 UTC"); on the reader's clock they read
      "2 h ago" and "in 3 h", the exact time kept in the title.
   3. Click beacon and newsletter: tell the endpoint which listing was opened (never delays the click) and submit the
      sign-up form without leaving the page. Without script, links and the form still work.
   The texts the scripts show are the page's, in its language (script_texts.py): `affsiteText` here, which
   filters.js and search.js use too (base.html loads this script before theirs). */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var texts = {};
  try {
    texts = JSON.parse(document.getElementById("affsite-messages").textContent);
  } catch (e) { /* a page without the texts (an old template override): the names show, nothing breaks */ }
  var plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang) : null;

  // text("ago", {time: "3 h"}) -> "3 h ago"; a text with plural forms picks the one for `count` (CLDR categories).
  function text(name, values, count) {
    var found = texts[name];
    if (found && typeof found === "object") {
      found = found[plurals && count !== undefined ? plurals.select(count) : "other"] || found.other;
    }
    return String(found || name).replace(/%\((\w+)\)s/g, function (all, key) {
      return values && Object.prototype.hasOwnProperty.call(values, key) ? values[key] : all;
    });
  }

  function number(n) {
    try { return new Intl.NumberFormat(lang).format(n); } catch (e) { return String(n); }
  }
  window.affsiteText = text;
  window.affsiteNumber = number;

  function guardPrices() {
    var now = Date.now();
    document.querySelectorAll(".price[data-fetched]").forEach(function (el) {
      var fetched = Date.parse(el.getAttribute("data-fetched"));
      var maxAge = parseInt(el.getAttribute("data-max-age"), 10) * 1000;
      if (isNaN(fetched) || isNaN(maxAge) || now - fetched <= maxAge) return;
      var live = el.querySelector(".price-live");
      var check = el.querySelector(".price-check");
      if (live) live.hidden = true;
      if (check) check.hidden = false;
      el.classList.add("is-stale");
      var card = el.closest(".card");
      if (card) card.classList.add("is-stale");
    });
  }

  function span(ms) {
    var minutes = Math.round(Math.abs(ms) / 60000);
    if (minutes < 60) return text("minutes", { num: number(minutes) });
    var hours = Math.round(minutes / 60);
    if (hours < 48) return text("hours", { num: number(hours) });
    var days = Math.round(hours / 24);
    return text("days", { num: number(days) }, days);
  }

  function relativeTimes() {
    var now = Date.now();
    document.querySelectorAll("time[data-rel]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) return;
      var ms = at - now;
      if (el.getAttribute("data-rel") === "ago") {
        el.textContent = ms > -60000 ? text("justNow") : text("ago", { time: span(ms) });
      } else if (ms < 7 * 86400000) {  // further off, the date says more than "in 400 days"
        el.textContent = ms <= 0 ? text("endsNow") : text("in", { time: span(ms) });
      }
    });
  }

  // The category menu (<details>) closes on Escape and on a click anywhere else, as a menu does.
  var menu = document.querySelector("details.menu");
  if (menu) {
    document.addEventListener("click", function (event) {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
    });
  }

  var endpoint = document.body.getAttribute("data-endpoint");

  function sendClick(link) {
    if (!endpoint || !navigator.sendBeacon) return;
    var body = JSON.stringify({
      item_id: link.getAttribute("data-item"),
      category: link.getAttribute("data-category") || "",
      page: location.pathname
    });
    try { navigator.sendBeacon(endpoint + "/api/clicks", body); } catch (e) { /* never block the visit */ }
  }

  // Without script the browser counts a click itself with the link's `ping` attribute. With script the beacon
  // counts it (it carries the page too), so the ping is removed and a click is counted once. Middle clicks and
  // "open in new tab" by mouse fire auxclick, not click.
  if (endpoint && navigator.sendBeacon) {
    document.querySelectorAll("a[data-item][ping]").forEach(function (link) { link.removeAttribute("ping"); });
  }

  function onClick(event) {
    if (event.type === "auxclick" && event.button !== 1) return;
    var link = event.target.closest && event.target.closest("a[data-item]");
    if (link) sendClick(link);
  }
  document.addEventListener("click", onClick);
  document.addEventListener("auxclick", onClick);

  var form = document.querySelector("form.newsletter");
  if (form && window.fetch) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var status = form.querySelector(".newsletter-status");
      var data = { email: form.elements.email.value, website: form.elements.website.value };
      fetch(form.action, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) })
        .then(function (response) {
          // The messages come from the page (data-msg-*), in the site's language.
          var key = response.ok ? "data-msg-ok" : response.status === 429 ? "data-msg-busy" : "data-msg-failed";
          status.textContent = form.getAttribute(key);
          status.className = "newsletter-status " + (response.ok ? "is-ok" : "is-error");
          if (response.ok) form.reset();
        })
        .catch(function () {
          status.textContent = form.getAttribute("data-msg-offline");
          status.className = "newsletter-status is-error";
        });
    });
  }

  guardPrices();
  relativeTimes();
  setInterval(function () { guardPrices(); relativeTimes(); }, 60000);
})();
