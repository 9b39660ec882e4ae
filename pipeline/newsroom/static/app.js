// The newsroom page: search with facets, a story view, subscriptions, live alerts, dead letters.
// Plain DOM code, no build step; every text from the server is set with textContent, never as HTML.
"use strict";

const FACETS = [ // facet in the search answer -> filter parameter, title
  ["people", "person", "People"], ["organisations", "organisation", "Organisations"], ["places", "place", "Places"],
  ["sections", "section", "Sections"], ["sources", "source", "Sources"],
];
const SINGLE = new Set(["section", "source"]); // one value at a time; entities add up
const state = { filters: [] }; // [param, value]

const $ = (id) => document.getElementById(id);
function el(tag, { dataset = {}, ...props } = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset); // `dataset` itself cannot be assigned
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

// "\u0002" and "\u0003" delimit the words Elasticsearch highlighted.
function highlighted(snippet) {
  const out = document.createDocumentFragment();
  snippet.split("\u0002").forEach((part, i) => {
    if (i === 0) { out.append(part); return; }
    const [hit, rest = ""] = part.split("\u0003");
    out.append(el("mark", { textContent: hit }), rest);
  });
  return out;
}

async function getJSON(url, options) {
  const response = await fetch(url, options);
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

function searchParams() {
  const params = new URLSearchParams({ q: $("q").value, limit: "20" });
  if ($("since").value) params.set("since", $("since").value);
  if ($("until").value) params.set("until", $("until").value);
  for (const [param, value] of state.filters) params.append(param, value);
  return params;
}

async function runSearch() {
  const started = performance.now();
  $("search-error").hidden = true;
  try {
    const result = await getJSON(`/api/search?${searchParams()}`);
    renderResults(result);
    renderFacets(result.facets);
  } catch (error) {
    $("search-error").textContent = error.message;
    $("search-error").hidden = false;
  }
  document.body.dataset.lastSearchMs = String(Math.round(performance.now() - started));
}

function renderResults(result) {
  $("summary").textContent = `${result.total} matching ${result.total === 1 ? "story" : "stories"}`;
  $("hits").replaceChildren(...result.hits.map((hit) => {
    const copies = hit.copies ? ` · ${hit.copies} ${hit.copies === 1 ? "copy" : "copies"}` : "";
    const meta = `${hit.source} · ${hit.section || "-"} · ${hit.versioncreated.slice(0, 16).replace("T", " ")} · version ${hit.version}${copies}`;
    const entities = [...hit.people.slice(0, 4), ...hit.organisations.slice(0, 3), ...hit.places.slice(0, 4)];
    return el("li", { className: "hit", dataset: { id: hit.id } },
      el("button", { type: "button", className: "open-story", textContent: hit.headline, onclick: () => openStory(hit.id) }),
      el("p", { className: "meta", textContent: meta }),
      ...hit.snippets.map((s) => el("p", { className: "snippet" }, "… ", highlighted(s), " …")),
      el("p", {}, ...entities.map((name) => el("span", { className: "chip", textContent: name }))));
  }));
}

function renderFacets(facets) {
  $("filters").replaceChildren(...state.filters.map(([param, value], i) =>
    el("button", { type: "button", className: "chip", textContent: `${value} ×`, title: `Remove ${param} ${value}`,
      onclick: () => { state.filters.splice(i, 1); runSearch(); } })));
  const lists = FACETS.filter(([key]) => (facets[key] || []).length).map(([key, param, title]) =>
    el("section", { className: "facet-group", dataset: { facet: key } },
      el("h2", { textContent: title }),
      el("ul", {}, ...facets[key].map(([value, count]) => el("li", {},
        el("button", { type: "button", className: "facet", textContent: `${value} (${count})`,
          onclick: () => narrow(param, value) }))))));
  $("facets").replaceChildren($("filters"), ...lists);
}

function narrow(param, value) {
  if (SINGLE.has(param)) state.filters = state.filters.filter(([p]) => p !== param);
  if (!state.filters.some(([p, v]) => p === param && v === value)) state.filters.push([param, value]);
  runSearch();
}

let storyOpener = null; // where the keyboard focus goes back to when the story closes

function closeStory() {
  if ($("story").hidden) return;
  $("story").hidden = true;
  if (storyOpener && storyOpener.isConnected) storyOpener.focus();
}

async function openStory(id) {
  storyOpener = document.activeElement;
  try {
    const story = await getJSON(`/api/stories/${encodeURIComponent(id)}`);
    $("story-headline").textContent = story.headline;
    const copies = story.copies ? ` · ${story.copies} ${story.copies === 1 ? "copy" : "copies"}` : " · no copies";
    $("story-meta").textContent = `${story.source} · ${story.section || "-"} · ${story.versioncreated} · version ${story.version}${copies}`;
    const byType = {};
    for (const entity of story.entities || []) (byType[entity.type] = byType[entity.type] || []).push(entity);
    $("story-entities").replaceChildren(...Object.entries(byType).map(([type, entities]) => el("p", {},
      el("strong", { textContent: `${type}: ` }),
      ...entities.map((e) => el("span", { className: "chip", textContent: e.location ? `${e.name} (${e.location.lat.toFixed(1)}, ${e.location.lon.toFixed(1)})` : e.name })))));
    showMap((story.entities || []).filter((e) => e.type === "place" && e.location));
    $("story-body").replaceChildren(...story.body_text.split(/\n+/).map((p) => el("p", { textContent: p })));
    $("story-versions").replaceChildren(...story.versions.map((v) => el("li", { className: "version" },
      el("span", { className: "meta", textContent: `version ${v.version} · ${v.versioncreated.slice(0, 16).replace("T", " ")}${v.headline_changed ? " · new headline: " + v.headline : ""}` }),
      ...v.added.map((p) => el("p", { className: "added", textContent: `+ ${p}` })),
      ...v.removed.map((p) => el("p", { className: "removed", textContent: `− ${p}` })))));
    $("story-copies").replaceChildren(...(story.copies_seen.length ? story.copies_seen.map((c) =>
      el("li", { className: "copy", textContent: `${c.source} · ${c.kind} (${Math.round(c.similarity * 100)} %)` }))
      : [el("li", { className: "meta", textContent: "none" })]));
    $("story-kibana").hidden = !story.kibana;
    if (story.kibana) $("story-kibana").href = story.kibana;
    $("story").hidden = false;
    $("story").dataset.id = id;
    $("close-story").focus();
  } catch (error) {
    $("search-error").textContent = error.message;
    $("search-error").hidden = false;
  }
}

// The story's places on a map: Leaflet and the country outlines (both served from /static/vendor/,
// no tile server) are loaded the first time a story with located places opens.
const storyMap = { ready: null, map: null, places: null };

function loadMapAssets() {
  const css = el("link", { rel: "stylesheet", href: "/static/vendor/leaflet/leaflet.css" });
  const script = el("script", { src: "/static/vendor/leaflet/leaflet.js" });
  const loaded = new Promise((resolve, reject) => { script.onload = resolve; script.onerror = reject; });
  document.head.append(css, script);
  return Promise.all([loaded, getJSON("/static/vendor/world/countries-110m.geojson")]).then(([, countries]) => {
    storyMap.map = L.map("story-map", { worldCopyJump: true, attributionControl: false, minZoom: 1, maxZoom: 8 });
    L.geoJSON(countries, { interactive: false, style: { color: "#9aa5b1", weight: 0.6, fillColor: "#f4f1ea", fillOpacity: 1 } })
      .addTo(storyMap.map);
    storyMap.places = L.layerGroup().addTo(storyMap.map);
  });
}

async function showMap(places) {
  $("story-map").hidden = !places.length;
  if (!places.length) return;
  try {
    storyMap.ready = storyMap.ready || loadMapAssets();
    await storyMap.ready;
  } catch (error) {
    $("story-map").hidden = true; // the places stay listed with their coordinates
    storyMap.ready = null;
    return;
  }
  storyMap.places.clearLayers();
  const points = places.map((p) => [p.location.lat, p.location.lon]);
  places.forEach((place, i) => L.circleMarker(points[i], { radius: 6, color: "#fff", weight: 1, fillColor: "#d36086", fillOpacity: 0.9 })
    .bindTooltip(place.name).addTo(storyMap.places));
  storyMap.map.invalidateSize(); // the container was hidden when the map was made
  storyMap.map.fitBounds(L.latLngBounds(points).pad(0.5), { maxZoom: 5 });
  $("story-map").dataset.places = String(places.length);
}

async function loadSubscriptions() {
  try {
    const subscriptions = await getJSON("/api/subscriptions");
    $("subscriptions").replaceChildren(...subscriptions.map((sub) => {
      const entity = (ref) => `${ref.type}:${ref.name}`;
      const what = [...sub.any_entities.map(entity), ...sub.all_entities.map(entity), ...sub.phrases.map((p) => `“${p}”`),
        sub.query].filter(Boolean).join(", ");
      return el("li", { dataset: { name: sub.name } }, el("strong", { textContent: sub.name }), ` ${what} `,
        el("button", { type: "button", className: "chip", textContent: "remove", title: `Remove ${sub.name}`,
          onclick: () => removeSubscription(sub.name) }));
    }));
  } catch (error) {
    $("subscriptions").replaceChildren(el("li", { className: "error", textContent: error.message }));
  }
}

function authHeaders() {
  const token = document.querySelector("#subscribe [name=token]").value;
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function subscribe(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const entities = ["person", "organisation", "place"].filter((k) => form.get(k)).map((k) => `${k}:${form.get(k)}`);
  const body = { any_entities: entities, phrases: form.get("phrase") ? [form.get("phrase")] : [], query: form.get("query") || null };
  $("subscribe-error").hidden = true;
  try {
    await getJSON(`/api/subscriptions/${encodeURIComponent(form.get("name"))}`, {
      method: "PUT", headers: { "Content-Type": "application/json", ...authHeaders() }, body: JSON.stringify(body) });
    event.target.reset();
    loadSubscriptions();
  } catch (error) {
    $("subscribe-error").textContent = error.message;
    $("subscribe-error").hidden = false;
  }
}

async function removeSubscription(name) {
  try {
    await getJSON(`/api/subscriptions/${encodeURIComponent(name)}`, { method: "DELETE", headers: authHeaders() });
  } catch (error) {
    $("subscribe-error").textContent = error.message;
    $("subscribe-error").hidden = false;
  }
  loadSubscriptions();
}

function followAlerts() {
  const source = new EventSource("/api/alerts");
  source.onopen = () => { $("alerts-state").textContent = "following every subscription"; };
  source.onerror = () => { $("alerts-state").textContent = "reconnecting…"; };
  source.addEventListener("alert", (message) => {
    const alert = JSON.parse(message.data);
    const item = el("li", { className: "alert", dataset: { subscription: alert.subscription, story: alert.story_id } },
      el("span", { className: "meta", textContent: `${alert.subscription}${alert.is_update ? " · update" : ""} · ${new Date(alert.alerted_at || Date.now()).toLocaleString()}` }),
      el("br"),
      el("button", { type: "button", className: "open-story", textContent: alert.headline, onclick: () => openStory(alert.story_id) }));
    $("alerts").prepend(item);
  });
}

async function loadDeadLetters() {
  try {
    const found = await getJSON("/api/dead-letters");
    $("dead-letters").replaceChildren(...(found.by_reason.length ? found.by_reason.map((row) =>
      el("li", { textContent: `${row.count} × ${row.stage}: ${row.reason}` })) : [el("li", { className: "meta", textContent: "none" })]));
  } catch (error) {
    $("dead-letters").replaceChildren(el("li", { className: "error", textContent: error.message }));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("search").addEventListener("submit", (event) => { event.preventDefault(); runSearch(); });
  $("subscribe").addEventListener("submit", subscribe);
  $("close-story").addEventListener("click", closeStory);
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") closeStory(); });
  runSearch();
  loadSubscriptions();
  loadDeadLetters();
  followAlerts();
});
