/* Ningbo Innovation Atlas: Streamlit's own widget texts in the page's language (MIT, part of
 * this project). See ui/chrome.py: ``atlasWidgetTexts({lang, texts, patterns})`` replaces exactly
 * the English texts listed (whole texts, or the patterns) as Streamlit draws them, and puts the
 * English back when the page switches to English. Nothing else in the page is touched, except
 * Streamlit's stale "Page not found" notice (below).
 */
window.atlasWidgetTexts = function (cfg) {
  var w = window;
  var pats = cfg.patterns.map(function (p) { return [new RegExp(p[0]), p[1]]; });
  function zh(text) {
    var s = text.trim();
    if (!s) { return null; }
    if (Object.prototype.hasOwnProperty.call(cfg.texts, s)) { return text.replace(s, cfg.texts[s]); }
    for (var i = 0; i < pats.length; i++) {
      if (pats[i][0].test(s)) {
        return text.replace(s, s.replace(pats[i][0], pats[i][1]));
      }
    }
    return null;
  }
  // streamlit#9992: opening a page by its address on a server whose first session has not run
  // yet says "Page not found ... Running the app's main page." while the page asked for opens.
  // This script runs inside that page: when the address is one of the app's pages other than
  // the main one (the links of the sidebar navigation, the main page first), the notice is wrong
  // and is closed. An address that is no page opens the main page: there the notice stays.
  function staleNotFound(node) {
    var dlg = node.matches("[role=dialog]") ? node : node.querySelector("[role=dialog]");
    var title = dlg && dlg.querySelector("h2");
    if (!title || !/^(Page not found|页面未找到)$/.test(title.textContent.trim())) { return; }
    var here = location.pathname.replace(/\/+$/, "");
    var pages = Array.prototype.map.call(document.querySelectorAll("[data-testid=stSidebarNav] a"),
      function (a) { return new URL(a.href, location.href).pathname.replace(/\/+$/, ""); });
    var close = dlg.querySelector("button[aria-label=Close]");
    if (close && pages.indexOf(here) > 0) { close.click(); }
  }
  function fix(node) {
    if (node.nodeType === 1) { staleNotFound(node); }
    if (node.nodeType === 3) {
      if (w.__atlasLang !== "zh") {
        if (node.__atlasOrig !== undefined && node.nodeValue === node.__atlasZh) {
          node.nodeValue = node.__atlasOrig;
        }
        return;
      }
      if (node.nodeValue === node.__atlasZh) { return; }
      var out = zh(node.nodeValue);
      if (out !== null && out !== node.nodeValue) {
        node.__atlasOrig = node.nodeValue; node.__atlasZh = out; node.nodeValue = out;
      }
      return;
    }
    if (node.nodeType !== 1) { return; }
    fixAttrs(node);
    var walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    var n, seen = [];
    while ((n = walker.nextNode())) { seen.push(n); }
    seen.forEach(function (x) { if (x.nodeType === 3) { fix(x); } else { fixAttrs(x); } });
  }
  /* Texts Streamlit puts in attributes: a placeholder, a button's label for screen readers
   * ("Show password") and its tooltip. */
  var ATTRS = ["placeholder", "aria-label", "title"];
  function fixAttrs(el) {
    for (var i = 0; i < ATTRS.length; i++) {
      if (el.hasAttribute(ATTRS[i])) { fixAttr(el, ATTRS[i]); }
    }
  }
  function fixAttr(el, name) {
    /* done[name] = [English, Chinese put in its place]: back to English only if still ours */
    var p = el.getAttribute(name), done = el.__atlasAttr || (el.__atlasAttr = {}), d = done[name];
    if (p === null) { return; }
    if (w.__atlasLang !== "zh") {
      if (d && p === d[1]) { done[name] = null; el.setAttribute(name, d[0]); }
      return;
    }
    if (d && p === d[1]) { return; }
    var q = zh(p);
    if (q !== null && q !== p) { done[name] = [p, q]; el.setAttribute(name, q); }
  }
  w.__atlasLang = cfg.lang;
  fix(document.body);
  if (w.__atlasTexts) { return; }
  w.__atlasTexts = new MutationObserver(function (records) {
    records.forEach(function (r) {
      if (r.type === "characterData") { fix(r.target); }
      else if (r.type === "attributes") { fixAttr(r.target, r.attributeName); }
      else { r.addedNodes.forEach(fix); }
    });
  });
  w.__atlasTexts.observe(document.body, {childList: true, subtree: true, characterData: true,
                                         attributes: true, attributeFilter: ATTRS});
};
