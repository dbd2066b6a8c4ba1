/* affsite: the offer of another edition of the site (site.yaml `editions`), for a visitor whose browser prefers its
   language. The page lists its editions as <link rel="alternate" hreflang>, each with the offer's texts in that
   edition's own language (data-label: its name; data-offer: the sentence, the name where "%(language)s" is;
   data-dismiss: the button), since the visitor it is shown to reads that language, not necessarily the page's. This
   script compares them with navigator.languages, never redirects, and remembers a "No thanks" in localStorage only
   (no cookie). Without script, or with storage off, nothing is remembered and the page is as it is. */
(function () {
  "use strict";
  var hint = document.querySelector("[data-edition-hint]");
  if (!hint) return;
  var KEY = "affsite-edition-hint";
  try {
    if (window.localStorage.getItem(KEY) === "no") return;
  } catch (e) { /* storage off: the offer is shown, a "No thanks" lasts for this page only */ }

  var PLACE = "%(language)s";

  function primary(tag) { return tag.toLowerCase().split("-")[0]; }

  var current = (document.documentElement.lang || "").toLowerCase();
  var editions = [];
  document.querySelectorAll('link[rel="alternate"][hreflang][data-label]').forEach(function (link) {
    editions.push({
      tag: link.getAttribute("hreflang"),  // as written (de-DE), for the offer's lang; lower case to compare
      lang: link.getAttribute("hreflang").toLowerCase(),
      href: link.href,
      label: link.getAttribute("data-label"),
      offer: link.getAttribute("data-offer") || PLACE,
      dismiss: link.getAttribute("data-dismiss") || ""
    });
  });
  var wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];

  // The visitor's languages in their order of preference: the first one this page or an edition is written in
  // decides. This page first: a visitor who reads it gets no offer.
  function pick() {
    for (var i = 0; i < wanted.length; i++) {
      var tag = String(wanted[i]).toLowerCase();
      if (!tag) continue;
      if (tag === current || primary(tag) === primary(current)) return null;
      for (var j = 0; j < editions.length; j++) {
        if (editions[j].lang === tag || primary(editions[j].lang) === primary(tag)) return editions[j];
      }
    }
    return null;
  }

  var edition = pick();
  if (!edition) return;
  var link = hint.querySelector("[data-hint-link]");
  var text = hint.querySelector("[data-hint-text]");
  var button = hint.querySelector("[data-hint-dismiss]");
  var target = new URL(edition.href);
  link.href = target.pathname + target.search;  // on this origin: the preview and staging copies link their own
  link.textContent = edition.label;
  link.setAttribute("hreflang", edition.tag);
  if (text) {
    // The sentence with the linked name in its place, as text nodes: the catalog's words are never parsed as HTML.
    var sentence = edition.offer.indexOf(PLACE) < 0 ? edition.offer + " " + PLACE : edition.offer;
    var at = sentence.indexOf(PLACE);
    text.textContent = "";
    text.appendChild(document.createTextNode(sentence.slice(0, at)));
    text.appendChild(link);
    text.appendChild(document.createTextNode(sentence.slice(at + PLACE.length)));
    if (edition.dismiss) button.textContent = edition.dismiss;
    hint.setAttribute("lang", edition.tag);  // the whole offer is in that language: screen readers switch voice
  } else {
    link.setAttribute("lang", edition.tag);  // a site's own base.html from before: its sentence, the page's words
  }
  hint.hidden = false;
  button.addEventListener("click", function () {
    hint.hidden = true;
    try { window.localStorage.setItem(KEY, "no"); } catch (e) { /* storage off: hidden on this page only */ }
  });
})();
