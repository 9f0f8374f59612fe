/* Zona survey kiosk: service worker (served as /kiosk/sw.js, scope /kiosk/).
   Plain JavaScript, no build step. The kiosk form pages are fetched from the network when
   it answers and from the cache when it does not; the CSS and scripts come from the cache
   and are refreshed behind it. POSTs and the API are never touched: the page's own script
   sends the queued answers (app/static/kiosk.js). */
"use strict";

var CACHE = "zona-kiosk-v1";
var ASSETS = ["/static/zona.css", "/static/kiosk.css", "/static/kiosk.js", "/static/favicon.svg"];
var NETWORK_WAIT_MS = 5000;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) { return cache.addAll(ASSETS); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) {
        return n.indexOf("zona-kiosk-") === 0 && n !== CACHE;
      }).map(function (n) { return caches.delete(n); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
                 function (error) { clearTimeout(timer); reject(error); });
  });
}

function networkFirst(request, key) {
  return caches.open(CACHE).then(function (cache) {
    return withTimeout(fetch(request), NETWORK_WAIT_MS).then(function (response) {
      if (response.ok) { cache.put(key, response.clone()); }
      return response;
    }).catch(function () {
      return cache.match(key).then(function (hit) { return hit || Response.error(); });
    });
  });
}

function cacheThenRefresh(request, key) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(key).then(function (hit) {
      var refresh = fetch(request).then(function (response) {
        if (response.ok) { cache.put(key, response.clone()); }
        return response;
      });
      if (hit) { refresh.catch(function () { return null; }); return hit; }
      return refresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  var path = url.pathname;
  if (path.indexOf("/static/") === 0) {
    event.respondWith(cacheThenRefresh(request, path));
  } else if (path.indexOf("/kiosk/") === 0 && path.indexOf("/kiosk/pair/") !== 0 &&
             path !== "/kiosk/sw.js") {
    event.respondWith(networkFirst(request, path));
  }
});
