/* Ningbo Innovation Atlas: the page a user asked for wins over a late value from a map of the
 * page being left (MIT, part of this project; runs in the app's page, see ui/chrome.py).
 *
 * Streamlit sends every rerun request with the page the browser shows at that moment, and the
 * browser learns of a page change only when the server's run of the new page starts. A value a
 * map sends in between (its own report such as "tiles failed", a move or a click that
 * streamlit-folium reports) asked for the old page again, and the server runs the newest request
 * only (runner.fastReruns): the page change was lost. On the map page, whose map is a fragment,
 * Streamlit merged the fragment's request with the page change and kept the fragment's page: the
 * new page's address over an empty page.
 *
 * This script follows page changes: from a click on a link to another page of the app until the
 * address changes (the server's answer), a page change is under way. A map (atlas.js) asks
 * ``atlasPageChange.away(its page)`` before it sends a value, and holds the value back while a
 * page change away from its page is under way or the address is another page's (it is about to
 * be removed). The page change ends when the address changes; one that gets no answer in ``WAIT``
 * ms did not happen (the connection was down): the last value each map held back is sent then.
 * (Not after an answer: a value of the page left, sent late, reran the page shown and undid the
 * next page change asked for, e.g. a task's "show on the map" link 30 s after leaving the map.)
 * (The values cannot be stopped here, in the page: Streamlit's own listener for them was
 * registered first, and a window runs its listeners in that order.)
 *
 * And a page opened from another starts at its top: when the address changes to another page
 * (Streamlit's answer to a page change, or the Back button), the main area is scrolled to its
 * top. Streamlit keeps the old page's elements until the new page has drawn its own, and with
 * them the old page's scroll offset: after a rerun that crossed the page change, the new page was
 * shown at the old page's offset.
 */
(function () {
  "use strict";
  if (window.atlasPageChange) { return; }
  var WAIT = 30000;
  var leaving = null;  // a page change under way: {from: path, timer, held: Map(key -> send)}

  function path(p) { return (p || location.pathname).replace(/\/+$/, "") || "/"; }

  function answered() {  // the address changed: held values belong to a page that is gone
    if (leaving && path() !== leaving.from) {
      clearTimeout(leaving.timer);
      leaving = null;
    }
  }

  function giveUp() {  // no answer in WAIT ms: the page change did not happen, unless the address says it did
    if (!leaving) { return; }
    var held = leaving.held, from = leaving.from;
    leaving = null;
    if (path() !== from) { return; }  // it did: the held values are a gone page's (sent now, they
    held.forEach(function (send) {     // would rerun the page shown and undo the next page change)
      try { send(); } catch (e) { /* its map was removed meanwhile */ }
    });
  }

  function toTop() {
    var main = document.querySelector("[data-testid=stMain]");
    if (main) { main.scrollTop = 0; }
  }

  var shown = path();
  function moved() {  // the address may be another page's now (an anchor's "#..." is not)
    if (path() !== shown) {
      shown = path();
      toTop();
    }
    answered();  // a page change under way ends here, whether or not a map asks again
  }
  ["pushState", "replaceState"].forEach(function (name) {  // Streamlit's own changes of the address
    var change = history[name];
    history[name] = function () {
      var out = change.apply(this, arguments);
      moved();
      return out;
    };
  });
  window.addEventListener("popstate", moved);

  document.addEventListener("click", function (e) {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) { return; }
    var a = e.target && e.target.closest ? e.target.closest("a[href]") : null;
    if (!a || (a.target && a.target !== "_self")) { return; }
    var url = new URL(a.href, location.href);
    if (url.origin !== location.origin || path(url.pathname) === path()) { return; }
    if (leaving) { clearTimeout(leaving.timer); }
    leaving = {from: path(), timer: setTimeout(giveUp, WAIT), held: new Map()};
  }, true);

  window.atlasPageChange = {
    /** The path of the page shown now. */
    here: function () { return path(); },
    /** Whether a page change is under way (from a click on a link until the address changes). */
    pending: function () { return leaving !== null; },
    /** Whether a value from a map drawn on ``home`` must be held back now. */
    away: function (home) {
      answered();
      home = path(home);
      return home !== path() || (leaving !== null && leaving.from === home);
    },
    /** Hold back a map's latest value (``key``: the map): sent if the page change does not happen. */
    hold: function (key, send) {
      if (leaving !== null) { leaving.held.set(key, send); }
    }
  };
}());
