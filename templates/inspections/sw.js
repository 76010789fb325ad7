// The inspection pages' service worker (scope {% url 'inspections:index' %}): an inspection page
// opened once with the network opens again without it. Pages are fetched from the network
// first and kept for when there is none; the scripts, styles and fonts they need are kept on
// install. Rounds themselves are kept by the page (static/js/offline.js, IndexedDB), not here:
// this worker never answers a POST. Signing out deletes what it keeps (static/js/portal.js).
const SCOPE = "{% url 'inspections:index' %}";
const STATIC = {{ static_urls|safe }};
// A release with other files is a new cache; the old one goes when this worker takes over.
const STATIC_CACHE = "om-static-{{ version }}";
const PAGES_CACHE = "om-pages";
const OFFLINE_TITLE = "{{ words.title|escapejs }}";
const OFFLINE_TEXT = "{{ words.text|escapejs }}";
const OFFLINE_BACK = "{{ words.back|escapejs }}";
const PHOTOS = "{% url 'inspections:round-photo' 0 %}".replace(/0\/$/, "");

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(STATIC_CACHE)
      .then((cache) => cache.addAll(STATIC))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((n) => n.startsWith("om-static-") && n !== STATIC_CACHE).map((n) => caches.delete(n))),
      )
      .then(() => self.clients.claim()),
  );
});

// A page worth keeping: an inspection page the server answered itself (not a redirect to the
// login page, not an error), as HTML.
function keepable(response) {
  return (
    response.ok &&
    !response.redirected &&
    response.type === "basic" &&
    (response.headers.get("Content-Type") || "").startsWith("text/html")
  );
}

async function pageFromNetwork(request) {
  const cache = await caches.open(PAGES_CACHE);
  try {
    const response = await fetch(request);
    if (keepable(response)) await cache.put(request.url, response.clone());
    return response;
  } catch {
    // Django varies its pages on the cookie and the language: the one user of this cache is the
    // one signed in (signing out empties it), so a kept page answers whatever the headers.
    const kept = await cache.match(request.url, { ignoreVary: true });
    return kept || notKept();
  }
}

// A page never opened with the network: say so, with the way back to Today.
function notKept() {
  const html = `<!DOCTYPE html><html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${OFFLINE_TITLE}</title>
<link rel="stylesheet" href="${STATIC[0]}"></head><body><main class="content"><div class="card">
<h1>${OFFLINE_TITLE}</h1><p>${OFFLINE_TEXT}</p><p><a class="button" href="${SCOPE}">${OFFLINE_BACK}</a></p>
</div></main></body></html>`;
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function staticFirst(request) {
  const kept = await caches.match(request, { cacheName: STATIC_CACHE });
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) (await caches.open(STATIC_CACHE)).put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (STATIC.includes(url.pathname)) {
    event.respondWith(staticFirst(request));
  } else if (request.mode === "navigate" && url.pathname.startsWith(SCOPE) && !url.pathname.startsWith(PHOTOS)) {
    event.respondWith(pageFromNetwork(request));
  }
});

// The Today page asks for its rounds' pages to be kept, so a round not yet opened opens offline.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "keep-pages" || !Array.isArray(data.urls)) return;
  event.waitUntil(
    caches.open(PAGES_CACHE).then((cache) =>
      Promise.all(
        data.urls
          .map((u) => new URL(u, self.location.origin))
          .filter((u) => u.origin === self.location.origin && u.pathname.startsWith(SCOPE))
          .slice(0, 50)
          .map((u) =>
            fetch(u.href, { credentials: "same-origin" })
              .then((response) => (keepable(response) ? cache.put(u.href, response) : null))
              .catch(() => null),
          ),
      ),
    ),
  );
});
