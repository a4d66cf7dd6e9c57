/* Ningbo Innovation Atlas: the map's runtime (MIT, part of this project).
 *
 * Draws layers from compact specs built in Python (atlas/webmap/): one canvas-rendered
 * layer per spec, so a layer of thousands of points is one object, not thousands of script
 * blocks. Every text in a spec (tooltips, popup values, labels, legend) was HTML-escaped in
 * Python; this file only concatenates those strings with its own fixed markup.
 *
 * Also: district labels always and site labels from a zoom level where they fit (greedy
 * collision test), the legend, one-time fits, detection of basemap tiles that cannot load
 * (falls back to "no tiles" and says so), and a map that takes focus without scrolling the
 * page that holds it (the first click lands where it was aimed).
 */
(function () {
  "use strict";
  if (window.atlas) { return; }
  var L = window.L;

  // Leaflet focuses the map on mouse-down; focusing an iframe that is partly out of view makes
  // the browser scroll the page that holds it, and the click lands elsewhere. Focus without
  // scrolling instead.
  if (L && L.Map && L.Map.Keyboard) {
    L.Map.Keyboard.prototype._onMouseDown = function () {
      if (this._focused) { return; }
      try { this._map._container.focus({preventScroll: true}); } catch (e) { /* old browsers */ }
    };
  }

  var CSS = [
    // absolute (as leaflet.css makes every tooltip) in our own sheet, which is in place before the
    // first label: Leaflet centres a label by its width when placing it, and leaflet.css may arrive
    // later (streamlit-folium links it just before the map's script runs); a label placed before
    // was a block as wide as the map, so district names sat half a map-width left, some off the map
    ".atlas-label{position:absolute;background:none;border:none;box-shadow:none;padding:0;margin:0;white-space:nowrap;",
    "font:12px/1.2 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;color:#222;pointer-events:none;",
    "text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff,0 0 4px #fff}",
    ".atlas-label:before{display:none}",
    ".atlas-label-district{font-size:14px;font-weight:600;color:#444;letter-spacing:1px}",
    ".atlas-popup th{text-align:left;padding-right:6px;white-space:nowrap;vertical-align:top}",
    ".atlas-popup{font-size:12px;max-width:360px}",
    ".atlas-popup ul{margin:2px 0 0 14px;padding:0}",
    "#atlas-offline{position:absolute;top:8px;left:50%;transform:translateX(-50%);z-index:1000;",
    "background:#fff8e1;border:1px solid #e0b000;border-radius:4px;padding:4px 10px;font-size:12px;",
    "display:none;max-width:70%}",
    ".atlas-popup-open #atlas-offline{display:none!important}",
    ".atlas-notiles{background:#f3f3ef}",
    ".atlas-legend-toggle{float:right;cursor:pointer;padding:0 0 0 8px;color:#555}",
    ".atlas-legend-body>b:first-child{cursor:pointer}",
    "#atlas-legend.atlas-folded .atlas-legend-body>:not(b){display:none}"
  ].join("");
  // A map that fills its iframe, whose height the page sets from the window (see ui/mapview.py,
  // ``show(fill=...)``): the map then always fits the screen it is on. Only such maps: another
  // iframe takes its height from the map (streamlit-folium measures the page).
  var FILL = "html,body{height:100%;margin:0}#map_div{height:100vh!important}";

  var state = {map: null, fitKey: null, labelSets: [], labelLayer: null, timer: null, texts: {},
               tick: 0, missing: [], missingTimer: null};
  var built = {};  // built Leaflet layers by spec key, reused when the same spec comes back

  function init(map, opts) {
    state.map = map;
    state.texts = opts || {};
    var style = document.createElement("style");
    style.textContent = CSS;
    document.head.appendChild(style);
    // under the zoom buttons: the attribution line runs along the bottom and covered it on narrow maps
    L.control.scale({imperial: false, position: "topleft"}).addTo(map);
    state.labelLayer = L.layerGroup().addTo(map);
    map.on("zoomend moveend", scheduleLabels);
    map.on("resize", function () { refit(); foldLegendIfLarge(); scheduleLabels(); });
    watchSize(map);
    // a notice (tiles that cannot load) never covers a popup: it steps aside while one is open
    map.on("popupopen", function () { document.body.classList.add("atlas-popup-open"); });
    map.on("popupclose", function () { document.body.classList.remove("atlas-popup-open"); });
    watchTiles(map, opts && opts.offline_notice);
    withStreamlit(wrapSends);
  }

  // Labels are culled and spaced by the map's size, which Leaflet caches and updates only on a
  // window resize: the map's own box can change without one (the frame laid out late, the page's
  // columns reflowing after a language switch, fill()). Any change of the box: Leaflet learns the
  // size (it then fires "resize": refit, labels), and the labels are placed again in any case (a
  // change under a pixel fires nothing). A stylesheet that arrives after the map was drawn can
  // change the labels' sizes: placed again then too.
  function watchSize(map) {
    if (window.ResizeObserver) {
      new ResizeObserver(function () { map.invalidateSize(); scheduleLabels(); }).observe(map.getContainer());
    }
    var links = document.querySelectorAll("link[rel=stylesheet]");
    for (var i = 0; i < links.length; i++) {
      if (!links[i].sheet) { links[i].addEventListener("load", scheduleLabels); }
    }
  }

  function fill() {
    if (state.filled || !state.map) { return; }
    state.filled = true;
    var style = document.createElement("style");
    style.textContent = FILL;
    document.head.appendChild(style);
    state.map.invalidateSize({pan: false});
  }

  // Values sent to the app (streamlit-folium's component value, and the app's own reports). Before
  // the component has set itself up (tiles refused at once fail in the map's first moments) a
  // value waits until it has. The app's own reports stay in every later value: streamlit-folium
  // sends its value (a move, a click) built from its own fields only, and one sent just after a
  // report replaced it before the app had read it (the basemap choice never fell back). They stay
  // out of its ``previous_data``, which it compares to decide to send.
  // In the app, a value goes to Streamlit at once, not as a posted message (which arrives a moment
  // later, after a click on a link to another page made meanwhile), and not at all while the
  // planner is leaving the page the map is on (see page_change.js, in the app's page): Streamlit
  // would run the old page again for it and lose the page asked for.
  var reports = {};
  function withStreamlit(fn, tries) {
    var S = window.Streamlit, G = window.__GLOBAL_DATA__;
    if (S && G) { fn(S, G); return; }
    tries = tries || 0;
    if (tries < 300) { setTimeout(function () { withStreamlit(fn, tries + 1); }, 100); }
  }
  function appPage() {  // the app's page, when the map is in the app (not a saved HTML file)
    try { return window.parent !== window && window.parent.atlasPageChange ? window.parent : null; } catch (e) { return null; }
  }
  function deliver(app, value) {  // what streamlit-component-lib posts, handed over at once
    var data = {isStreamlitMessage: true, type: "streamlit:setComponentValue", value: value, dataType: "json"};
    app.dispatchEvent(new app.MessageEvent("message", {data: data, source: window, origin: location.origin}));
  }
  function wrapSends(S) {
    if (S.atlasWraps) { return; }
    S.atlasWraps = true;
    var send = S.setComponentValue, app = appPage(), home = app && app.location.pathname;
    S.setComponentValue = function (value) {
      var v = Object.assign({}, value, reports), now = home ? appPage() : null;
      if (!now) { return send.call(S, v); }
      if (now.atlasPageChange.away(home)) {
        now.atlasPageChange.hold(S, function () { deliver(now, v); });
      } else {
        deliver(now, v);
      }
      return undefined;
    };
  }
  function report(extra) {
    withStreamlit(function (S, G) {
      Object.assign(reports, extra);
      wrapSends(S);
      S.setComponentValue(Object.assign({}, G.previous_data || {}));
    });
  }

  // ------------------------------------------------------------------ basemap tiles
  function watchTiles(map, notice) {
    var tiles = [];
    map.eachLayer(function (l) { if (l instanceof L.TileLayer) { tiles.push(l); } });
    if (!tiles.length) { map.getContainer().classList.add("atlas-notiles"); return; }
    var loads = 0, errors = 0, done = false;
    function fallback() {
      if (done || loads > 0) { return; }
      done = true;
      tiles.forEach(function (t) { map.removeLayer(t); });
      map.getContainer().classList.add("atlas-notiles");
      var div = document.getElementById("atlas-offline");
      if (div) { div.innerHTML = notice || ""; div.style.display = "block"; }
      window.ATLAS_BASEMAP_FAILED = true;
      // the app then shows the basemap actually drawn ("no tiles") in its basemap choice
      report({atlas_tiles_failed: {basemap: state.texts.basemap || window.ATLAS_BASEMAP || "", n: Date.now() + ":" + Math.random()}});
    }
    tiles.forEach(function (t) {
      t.on("tileload", function () { loads++; });
      t.on("tileerror", function () { errors++; if (errors >= 2 && loads === 0) { fallback(); } });
    });
    setTimeout(fallback, 8000);  // nothing loaded in 8 s (requests hanging): same answer
  }

  // ------------------------------------------------------------------ layers
  function popupHtml(spec, vals, tasks) {
    var h = "<div class='atlas-popup'><table>";
    var same = spec.same || {};  // values every row shares, sent once
    for (var i = 0; i < spec.fields.length; i++) {
      var v = vals[i] || same[i];
      if (v) { h += "<tr><th>" + spec.fields[i] + "</th><td>" + v + "</td></tr>"; }
    }
    h += "</table>";
    if (spec.task_titles) {
      var items = "";
      (tasks || []).forEach(function (n) {
        if (spec.task_titles[n]) { items += "<li>" + spec.task_titles[n] + "</li>"; }
      });
      h += items ? "<div><b>" + spec.tasks_label + "</b><ul>" + items + "</ul></div>"
                 : "<div><i>" + spec.not_named + "</i></div>";
    }
    return h + "</div>";
  }

  // A feature's popup, made and bound the first time it is wanted (a click, or a caller): a layer
  // of thousands of features would otherwise build thousands of popups nobody opens.
  function popupOf(l) {
    var row = l._atlasRow;
    if (!l._popup && row && row.vals) {
      l.bindPopup(popupHtml(row.spec, row.vals, row.tasks), {maxWidth: 380, maxHeight: 280});
    }
    return l._popup || null;
  }

  // Clicks (and, for areas, hovers) on a built layer's features bind what they need then.
  function bindLazily(group) {
    group.on("click", function (e) {
      var l = e.propagatedFrom;
      if (l && !l._popup && popupOf(l)) { l.openPopup(e.latlng); }
    });
    group.on("mouseover", function (e) {
      var l = e.propagatedFrom, row = l && l._atlasRow;
      if (!row || l._tooltip || !row.tip) { return; }
      l.bindTooltip(row.tip, {sticky: true});
      l.openTooltip(e.latlng);
    });
  }

  // Points keep their tooltip from the start: streamlit-folium reports a click on a marker by its
  // tooltip, read before any handler of ours could run.
  function buildPoints(spec) {
    var s = spec.style, ring = spec.ring || {color: s.color, weight: 1, dash: "6 6", opacity: 1};
    var group = L.featureGroup(), labels = [];
    spec.rows.forEach(function (r) {
      var row = {lon: r[0], lat: r[1], tip: r[2], err: r[3], approx: r[4], vals: r[5], tasks: r[6],
                 label: r[7] === 1 ? r[2] : r[7], spec: spec};  // 1: the label is the tooltip
      var ll = [row.lat, row.lon];
      if (row.approx && row.err > 0) {
        L.circle(ll, {radius: row.err, color: ring.color, weight: ring.weight, dashArray: ring.dash,
                      opacity: ring.opacity, fill: false, interactive: false}).addTo(group);
      }
      var m = L.circleMarker(ll, {radius: s.radius, color: s.color, weight: s.weight, fill: true,
                                  fillColor: s.fill_color || s.color,
                                  fillOpacity: row.approx ? 0.15 : s.fill_opacity,
                                  dashArray: row.approx ? "3 3" : null});
      if (row.tip) { m.bindTooltip(row.tip); }
      m._atlasRow = row;
      m.addTo(group);
      if (row.label) { labels.push([row.lat, row.lon, row.label, row.approx ? 1 : 0]); }
    });
    bindLazily(group);
    return {layer: group, labels: labels};
  }

  // A hatch (straight-line proxies of service areas): diagonal lines over the light fill, as one
  // canvas pattern that Leaflet's canvas renderer uses as the fill. With SVG (no canvas), a flat fill.
  function hatchFill(s) {
    var h = s.hatch, n = Math.max(3, Math.round(h.spacing || 6));
    if (!state.map || !state.map.options.preferCanvas) { return null; }
    var tile = document.createElement("canvas");
    tile.width = tile.height = n;
    var c = tile.getContext("2d");
    if (!c) { return null; }
    c.globalAlpha = s.fill_opacity;
    c.fillStyle = s.fill_color || s.color;
    c.fillRect(0, 0, n, n);
    c.globalAlpha = h.opacity;
    c.strokeStyle = h.color || s.color;
    c.lineWidth = h.width || 1.3;
    c.beginPath();  // "/" lines (as the static maps' "////") that join across tiles, corners included
    c.moveTo(-1, n + 1); c.lineTo(n + 1, -1);
    c.moveTo(-1, 1); c.lineTo(1, -1);
    c.moveTo(n - 1, n + 1); c.lineTo(n + 1, n - 1);
    c.stroke();
    return c.createPattern(tile, "repeat");
  }

  // GeoJSON coordinates ([lon, lat], nested) as Leaflet latlngs ([lat, lon], nested the same way).
  function latLngs(c) {
    return typeof c[0] === "number" ? [c[1], c[0]] : c.map(latLngs);
  }

  // One path per area or line, made directly: an L.geoJSON per row would add a group per feature.
  function shape(geom, style) {
    var t = geom.type;
    if (t === "Polygon" || t === "MultiPolygon") { return L.polygon(latLngs(geom.coordinates), style); }
    if (t === "LineString" || t === "MultiLineString") { return L.polyline(latLngs(geom.coordinates), style); }
    return L.geoJSON(geom, {style: style});
  }

  // Shading (H3 cells of the gap and access maps: many areas, each with its own colour, a tooltip,
  // no popup) is drawn as one multi-polygon per colour: a few Leaflet paths instead of thousands.
  // The tooltip of the cell under the mouse is found by its bounding box, then point in polygon.
  var SHADING_MIN = 100;

  function isShading(spec) {
    return spec.rows.length >= SHADING_MIN && spec.rows.every(function (r) { return r[6] && !r[2]; });
  }

  function inRing(ring, x, y) {  // ring: [[lat, lon], ...]; even-odd rule
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var a = ring[i], b = ring[j];
      if ((a[0] > y) !== (b[0] > y) && x < (b[1] - a[1]) * (y - a[0]) / (b[0] - a[0]) + a[1]) { inside = !inside; }
    }
    return inside;
  }

  function cellAt(items, ll) {
    for (var i = 0; i < items.length; i++) {
      var it = items[i];
      if (it.bounds.contains(ll)) {
        for (var p = 0, inside = false; p < it.polys.length; p++) {
          for (var k = 0; k < it.polys[p].length; k++) {
            if (inRing(it.polys[p][k], ll.lng, ll.lat)) { inside = !inside; }
          }
          if (inside) { return it; }
        }
      }
    }
    return null;
  }

  function buildShading(spec) {
    var s = spec.style, group = L.featureGroup(), byFill = {};
    spec.rows.forEach(function (r) {
      var g = r[0];
      var polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      var item = {tip: r[1], polys: polys.map(latLngs)};
      if (!item.polys.length) { return; }
      item.bounds = L.latLngBounds(item.polys.map(function (p) { return p[0]; }));
      (byFill[r[6]] = byFill[r[6]] || []).push(item);
    });
    Object.keys(byFill).forEach(function (fill) {
      var items = byFill[fill], rings = [];
      items.forEach(function (it) { rings.push.apply(rings, it.polys); });
      var layer = L.polygon(rings, {color: fill, weight: s.weight, fillColor: fill, fillOpacity: s.fill_opacity,
                                    dashArray: s.dash || null, interactive: true});
      layer._atlasItems = items;
      layer.addTo(group);
    });
    group.on("mousemove mouseover", function (e) {
      var l = e.propagatedFrom, it = l && l._atlasItems ? cellAt(l._atlasItems, e.latlng) : null;
      if (!it) { if (l && l._tooltip) { l.closeTooltip(); } return; }
      if (!l._tooltip) { l.bindTooltip(it.tip, {sticky: true}); }
      if (l._atlasTip !== it) { l.setTooltipContent(it.tip); l._atlasTip = it; }
      l.openTooltip(e.latlng);
    });
    return {layer: group, labels: []};
  }

  // Areas get their tooltip when first hovered (see bindLazily): the coverage map has thousands.
  function buildPolygons(spec) {
    if (isShading(spec)) { return buildShading(spec); }
    var s = spec.style, group = L.featureGroup(), labels = [];
    var hatch = s.hatch ? hatchFill(s) : null;
    spec.rows.forEach(function (r) {
      var row = {geom: r[0], tip: r[1], vals: r[2], tasks: r[3], label: r[4], at: r[5], fill: r[6], spec: spec};
      var layer = shape(row.geom, {
        color: row.fill || s.color, weight: s.weight,
        fillColor: hatch || row.fill || s.fill_color || s.color,
        fillOpacity: hatch ? 1 : s.fill_opacity, dashArray: s.dash || null,
        interactive: !!(row.tip || row.vals)});
      layer._atlasRow = row;
      layer.addTo(group);
      if (row.label && row.at) { labels.push([row.at[1], row.at[0], row.label, 0]); }
    });
    bindLazily(group);
    return {layer: group, labels: labels};
  }

  // A spec the app has sent before comes back as {key, ref: true}: the layer built then is reused.
  // If this map no longer has it (the iframe was rebuilt, or the layer was evicted), it asks the
  // app to send the whole spec again.
  function addLayer(group, spec) {
    var b = built[spec.key];
    if (!b && spec.ref) { missing(spec.key); return group; }
    if (!b) {
      b = spec.kind === "point" ? buildPoints(spec) : buildPolygons(spec);
      b.label = spec.label;
      built[spec.key] = b;
    }
    b.used = ++state.tick;
    if (b.owner && b.owner !== group) { b.owner.removeLayer(b.layer); }
    b.owner = group;
    group.addLayer(b.layer);
    evict();
    if (b.labels.length && b.label) {
      var set = {items: b.labels, minZoom: b.label.min_zoom, cls: b.label.cls,
                 rank: b.label.rank, on: false};
      group.on("add", function () { set.on = true; scheduleLabels(); });
      group.on("remove", function () {
        set.on = false;
        state.labelSets = state.labelSets.filter(function (x) { return x !== set; });
        scheduleLabels();
      });
      state.labelSets.push(set);
    }
    return group;
  }

  var MAX_BUILT = 48;
  function evict() {  // keep the layers of the last views, not every filter ever shown
    var keys = Object.keys(built);
    if (keys.length <= MAX_BUILT) { return; }
    keys.sort(function (a, b) { return built[a].used - built[b].used; });
    keys.slice(0, keys.length - MAX_BUILT).forEach(function (k) {
      var o = built[k].owner;
      if (!(o && state.map && state.map.hasLayer(o))) { delete built[k]; }
    });
  }

  function missing(key) {
    state.missing.push(key);
    if (state.missingTimer) { return; }
    state.missingTimer = setTimeout(function () {
      state.missingTimer = null;
      var keys = state.missing;
      state.missing = [];
      report({atlas_missing: {keys: keys, n: Date.now() + ":" + Math.random()}});
    }, 0);
  }

  // ------------------------------------------------------------------ labels
  function scheduleLabels() {
    if (state.timer) { clearTimeout(state.timer); }
    state.timer = setTimeout(placeLabels, 30);
  }

  function textWidth(html) {
    var t = html.replace(/&[a-z#0-9]+;/g, "x"), w = 0;
    for (var i = 0; i < t.length; i++) { w += t.charCodeAt(i) > 255 ? 12 : 7; }
    return w;
  }

  // The labels to show now: {set, it} in rank order, each off the others (a greedy collision test
  // of estimated boxes) and near the map's current view. Tests compare the labels drawn with it.
  function labelPlan() {
    var map = state.map, out = [];
    if (!map) { return out; }
    var z = map.getZoom(), size = map.getSize(), placed = [];
    var sets = state.labelSets.filter(function (s) { return s.on && z >= s.minZoom; });
    sets.sort(function (a, b) { return a.rank - b.rank; });
    sets.forEach(function (set) {
      set.items.forEach(function (it) {
        if (out.length >= 400) { return; }
        var p = map.latLngToContainerPoint([it[0], it[1]]);
        if (p.x < -50 || p.y < -20 || p.x > size.x + 50 || p.y > size.y + 20) { return; }
        var w = textWidth(it[2]), h = set.cls === "district" ? 18 : 15;
        var box = set.cls === "district"
          ? [p.x - w / 2, p.y - h / 2, p.x + w / 2, p.y + h / 2]
          : [p.x + 9, p.y - h / 2, p.x + 9 + w, p.y + h / 2];
        for (var i = 0; i < placed.length; i++) {
          var q = placed[i];
          if (box[0] < q[2] && box[2] > q[0] && box[1] < q[3] && box[3] > q[1]) { return; }
        }
        placed.push(box);
        out.push({set: set, it: it});
      });
    });
    return out;
  }

  function placeLabels() {
    if (!state.map || !state.labelLayer) { return; }
    // remove old labels at once (Leaflet fades removed tooltips out over 200 ms)
    state.labelLayer.eachLayer(function (l) { if (l._container) { L.DomUtil.remove(l._container); } });
    state.labelLayer.clearLayers();
    labelPlan().forEach(function (x) {
      var district = x.set.cls === "district";
      L.tooltip({permanent: true, direction: district ? "center" : "right",
                 className: "atlas-label atlas-label-" + x.set.cls, interactive: false,
                 offset: district ? [0, 0] : [8, 0], opacity: 1})
        .setLatLng([x.it[0], x.it[1]]).setContent(x.it[2]).addTo(state.labelLayer);
    });
  }

  // ------------------------------------------------------------------ legend, view, highlight
  // The legend folds to its title (a click on the title or the arrow), so that it never hides
  // the map: it starts folded when, open, it would cover more than ``maxShare`` of the map
  // (a small screen), until the planner opens it (maps that ask for it: ``maxShare``).
  function legend(html, maxShare) {
    var div = document.getElementById("atlas-legend");
    if (!div) { return; }
    state.legendHtml = html;
    if (maxShare !== undefined) { state.legendMaxShare = maxShare; }
    div.innerHTML = html ? "<div class='atlas-legend-toggle'>" + (state.folded ? "▸" : "▾")
      + "</div><div class='atlas-legend-body'>" + html + "</div>" : "";
    div.style.display = html ? "block" : "none";
    div.style.maxHeight = state.map ? Math.round(state.map.getSize().y * 0.5) + "px" : "";
    div.classList.toggle("atlas-folded", !!state.folded);
    var toggles = div.querySelectorAll(".atlas-legend-toggle, .atlas-legend-body>b:first-child");
    for (var i = 0; i < toggles.length; i++) {
      toggles[i].onclick = function () { state.folded = !state.folded; state.legendTouched = true; legend(html); };
    }
    foldLegendIfLarge();
  }

  function legendShare() {
    var div = document.getElementById("atlas-legend"), map = state.map;
    if (!div || !map || div.style.display === "none") { return 0; }
    var r = div.getBoundingClientRect(), size = map.getSize();
    return size.x * size.y > 0 ? (r.width * r.height) / (size.x * size.y) : 0;
  }

  function foldLegendIfLarge() {
    if (state.legendTouched || state.folded || !state.legendHtml || !state.legendMaxShare) { return; }
    if (legendShare() > state.legendMaxShare) { state.folded = true; legend(state.legendHtml); }
  }

  function attribution(text) {  // plain text (set as text, never parsed as HTML)
    var div = document.getElementById("atlas-attribution");
    if (div) { div.textContent = text; }
  }

  // Zoom to bounds once per key: not animated, and not at all when the map shows that view already
  // (any move makes the canvas re-project every path: thousands of cells on the coverage map).
  // A map resized while it still shows the fitted view (the window, or the page's layout, changed)
  // fits the same bounds again at its new size.
  function fit(key, bounds, maxZoom) {
    var map = state.map;
    if (!map || key === state.fitKey) { return; }
    state.fitKey = key;
    state.fitted = {bounds: bounds, maxZoom: maxZoom || 14};
    fitTo(state.fitted);
  }

  function fitTo(f) {
    var map = state.map;
    var opts = {maxZoom: f.maxZoom, animate: false, padding: [8, 8]};
    var to = map._getBoundsCenterZoom(L.latLngBounds(f.bounds), opts);  // what fitBounds would do
    f.view = to;
    var off = map.latLngToContainerPoint(to.center).subtract(map.getSize().divideBy(2));
    if (map._loaded && to.zoom === map.getZoom() && Math.abs(off.x) < 1 && Math.abs(off.y) < 1) { return; }
    map.setView(to.center, to.zoom, opts);
  }

  function refit() {
    var map = state.map, f = state.fitted;
    if (!map || !f || !f.view || map.getZoom() !== f.view.zoom) { return; }
    // the planner moved the map: its centre is off the fitted one by more than a resize's rounding
    // (in pixels: the fitted view is kept within a pixel, and 50 m, the test before, was under a
    // pixel from zoom 9 on, so a map at that zoom never refitted to a smaller window)
    if (map.project(map.getCenter()).distanceTo(map.project(f.view.center)) > 2) { return; }
    fitTo(f);
  }

  function highlight(group, points, color) {
    points.forEach(function (p) {
      L.circleMarker([p[0], p[1]], {radius: p[2] + 5, color: color || "#000", weight: 3, fill: false,
                                    interactive: false}).addTo(group);
    });
  }

  window.atlas = {init: init, fill: fill, addLayer: addLayer, popupOf: popupOf, legend: legend, fit: fit, highlight: highlight,
                  attribution: attribution,
                  labels: placeLabels, _state: state, _labelPlan: labelPlan,
                  _forget: function () { Object.keys(built).forEach(function (k) { delete built[k]; }); }};
}());
