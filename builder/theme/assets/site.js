/* affsite: the two things a static page cannot do without script, both optional.
   1. Freshness guard: eBay allows listing data at most a few hours old; once a shown price is older than its limit
      on the visitor's clock, replace it with "Check the current price on eBay".
   2. Click beacon and newsletter: tell the endpoint which listing was opened (never delays the click) and submit the
      sign-up form without leaving the page. Without script, links and the form still work. */
(function () {
  "use strict";
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

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-item]");
    if (link) sendClick(link);
  });

  var form = document.querySelector("form.newsletter");
  if (form && window.fetch) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var status = form.querySelector(".newsletter-status");
      var data = { email: form.elements.email.value, website: form.elements.website.value };
      fetch(form.action, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) })
        .then(function (response) {
          // The messages come from the page (data-msg-*), in the site's language.
          status.textContent = form.getAttribute(response.ok ? "data-msg-ok" : "data-msg-failed");
          if (response.ok) form.reset();
        })
        .catch(function () { status.textContent = form.getAttribute("data-msg-offline"); });
    });
  }

  guardPrices();
  setInterval(guardPrices, 60000);
})();
