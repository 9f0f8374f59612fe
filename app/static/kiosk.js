/* Zona survey kiosk (docs/surveys-kiosk.md). Plain JavaScript, no framework, no build step.

   - On the pairing page: keeps the kiosk credential in IndexedDB, opens the kiosk form.
   - On the kiosk form: each completed answer goes to the device's queue (IndexedDB) with
     its own idempotency key, the time it was given and its fill time, and the respondent
     is thanked at once, network or not. The queue is sent in batches to the survey's batch
     endpoint with the kiosk credential; an answer leaves the queue only when the server
     has confirmed its batch. A refused credential keeps the queue and says so on screen.
   - Resets to a fresh form a few seconds after the thanks, and after inactivity mid-form.
*/
(function () {
  "use strict";

  var DB_NAME = "zona-kiosk";
  var CACHE = "zona-kiosk-v1";
  var RETRY_MS = 10000;

  var WORDS = {
    online: {id: "Daring", en: "Online"},
    offline: {id: "Luring (jawaban disimpan di perangkat)", en: "Offline (answers kept on this device)"},
    sending: {id: "Mengirim...", en: "Sending..."},
    refused: {
      id: "Kiosk ini ditolak server (dicabut atau kedaluwarsa). {n} jawaban tetap tersimpan di perangkat ini; hubungi koordinator.",
      en: "The server refused this kiosk (revoked or expired). {n} answers are kept on this device; contact the coordinator."
    },
    problem: {
      id: "Jawaban belum dapat dikirim: {msg} Jawaban tetap tersimpan di perangkat ini.",
      en: "Answers could not be sent yet: {msg} They are kept on this device."
    }
  };

  // --- IndexedDB ---------------------------------------------------------------------------

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("config")) {
          db.createObjectStore("config", {keyPath: "kiosk"});
        }
        if (!db.objectStoreNames.contains("queue")) {
          var queue = db.createObjectStore("queue", {keyPath: "key"});
          queue.createIndex("kiosk", "kiosk");
        }
        if (!db.objectStoreNames.contains("refused")) {
          // Answers the server refused for good (given after the close, ...): never sent
          // again, but not thrown away either.
          db.createObjectStore("refused", {keyPath: "key"});
        }
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(db, store, mode, work) {
    return new Promise(function (resolve, reject) {
      var tx = db.transaction(store, mode);
      var result;
      tx.oncomplete = function () { resolve(result); };
      tx.onerror = function () { reject(tx.error); };
      tx.onabort = function () { reject(tx.error); };
      var request = work(tx.objectStore(store));
      if (request) { request.onsuccess = function () { result = request.result; }; }
    });
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return "kiosk-" + crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "kiosk-" + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // --- the pairing page --------------------------------------------------------------------

  function pairingPage(holder) {
    var config = {
      kiosk: Number(holder.dataset.kiosk), campaign: Number(holder.dataset.campaign),
      token: holder.dataset.token
    };
    openDb().then(function (db) {
      return run(db, "config", "readwrite", function (store) { return store.put(config); });
    }).then(function () {
      window.location.replace(holder.dataset.form);
    });
  }

  // --- the kiosk form ----------------------------------------------------------------------

  function kioskPage(main) {
    var kioskId = Number(main.dataset.kiosk);
    var campaignId = Number(main.dataset.campaign);
    var thanksMs = Number(main.dataset.thanksSeconds || 6) * 1000;
    var idleMs = Number(main.dataset.idleSeconds || 90) * 1000;
    var params = new URLSearchParams(window.location.search);
    var batchSize = Math.min(500, Math.max(1, Number(params.get("batch")) || 25));
    var form = document.getElementById("kiosk-form");
    var thanks = document.getElementById("kiosk-thanks");
    var alertBox = document.getElementById("kiosk-alert");
    var missing = document.getElementById("kiosk-missing");
    var queueShown = document.getElementById("kiosk-queue");
    var netShown = document.getElementById("kiosk-net");
    var lang = "id";
    var firstTouch = null;
    var thanksTimer = null;
    var idleTimer = null;
    var syncing = false;
    var db = null;
    var config = null;

    function say(word, values) {
      var text = WORDS[word][lang];
      Object.keys(values || {}).forEach(function (k) { text = text.replace("{" + k + "}", values[k]); });
      return text;
    }

    function setLang(code) {
      lang = code === "en" ? "en" : "id";
      document.body.classList.toggle("lang-en", lang === "en");
      document.body.classList.toggle("lang-id", lang === "id");
      document.documentElement.lang = lang;
      document.querySelectorAll(".kiosk-langbtn").forEach(function (b) {
        b.setAttribute("aria-pressed", b.dataset.lang === lang ? "true" : "false");
      });
      showNet();
    }

    function showNet() { netShown.textContent = say(navigator.onLine ? "online" : "offline"); }

    function showAlert(text) {
      if (text) { alertBox.textContent = text; alertBox.hidden = false; }
      else { alertBox.textContent = ""; alertBox.hidden = true; }
    }

    function queued() {
      // Every answer of this campaign waiting on the device, also those given under an
      // earlier kiosk of it (revoked, then this tablet paired again): this one sends them.
      return run(db, "queue", "readonly", function (store) {
        return store.getAll();
      }).then(function (all) {
        var rows = all.filter(function (r) { return r.campaign === campaignId; });
        rows.sort(function (a, b) { return a.seq - b.seq; });
        queueShown.textContent = String(rows.length);
        return rows;
      });
    }

    function reset() {
      clearTimeout(thanksTimer);
      clearTimeout(idleTimer);
      form.reset();
      form.querySelectorAll(".q-err").forEach(function (q) { q.classList.remove("q-err"); });
      missing.hidden = true;
      firstTouch = null;
      setLang("id");
      thanks.hidden = true;
      form.hidden = false;
      window.scrollTo(0, 0);
    }

    function touched() {
      if (firstTouch === null) { firstTouch = Date.now(); }
      clearTimeout(idleTimer);
      idleTimer = setTimeout(function () { if (!form.hidden) { reset(); } }, idleMs);
    }

    function read() {
      var answers = {};
      var problems = [];
      form.querySelectorAll("fieldset[data-item]").forEach(function (q) {
        var name = q.dataset.item;
        var picked = q.querySelector("input:checked");
        q.classList.toggle("q-err", !picked);
        if (!picked) { problems.push(q); return; }
        var dot = name.indexOf(".");
        var instrument = name.slice(0, dot);
        answers[instrument] = answers[instrument] || {};
        answers[instrument][name.slice(dot + 1)] = Number(picked.value);
      });
      var profile = {};
      form.querySelectorAll("select[data-profile]").forEach(function (s) {
        if (s.value) { profile[s.dataset.profile] = s.value; }
        else if (s.required) { problems.push(s); }
      });
      var service = form.querySelector("input[name=service]:checked");
      var suggestion = form.querySelector("textarea[name=suggestion]");
      return {
        problems: problems,
        item: {
          answers: answers,
          service_id: service && service.value ? Number(service.value) : null,
          profile: Object.keys(profile).length ? profile : null,
          suggestion: suggestion && suggestion.value.trim() ? suggestion.value : null
        }
      };
    }

    function submit(event) {
      event.preventDefault();
      var read_ = read();
      if (read_.problems.length) {
        missing.hidden = false;
        read_.problems[0].scrollIntoView({block: "center"});
        return;
      }
      var now = Date.now();
      var item = read_.item;
      item.idempotency_key = newKey();
      item.submitted_at = new Date(now).toISOString();
      item.fill_seconds = Math.max(0, Math.floor((now - (firstTouch || now)) / 1000));
      var row = {key: item.idempotency_key, kiosk: kioskId, campaign: campaignId, seq: now, item: item};
      run(db, "queue", "readwrite", function (store) { return store.add(row); }).then(function () {
        return queued();  // the count includes this answer before the thanks shows
      }).then(function () {
        form.hidden = true;
        thanks.hidden = false;
        window.scrollTo(0, 0);
        clearTimeout(idleTimer);
        thanksTimer = setTimeout(reset, thanksMs);
        sync();
      });
    }

    function sync() {
      if (syncing || !config) { return Promise.resolve(); }
      syncing = true;
      return sendNext().then(function () { syncing = false; }, function () { syncing = false; });
    }

    function sendNext() {
      return queued().then(function (rows) {
        if (!rows.length) { return null; }
        var batch = rows.slice(0, batchSize);
        netShown.textContent = say("sending");
        return fetch("/api/v1/survey-campaigns/" + campaignId + "/responses/batch", {
          method: "POST",
          headers: {
            "Authorization": "Bearer " + config.token,
            "Content-Type": "application/json",
            "Zona-Kiosk-Queue": String(rows.length)
          },
          body: JSON.stringify({items: batch.map(function (r) { return r.item; })}),
          credentials: "omit",
          cache: "no-store"
        }).then(function (response) {
          if (response.ok) {
            // Confirmed: every answer of the batch is stored (or was already), or refused
            // for good (listed in "refused", kept aside); only now does it leave the queue.
            return response.json().catch(function () { return {}; }).then(function (body) {
              var refused = {};
              (body.refused || []).forEach(function (r) { refused[r.idempotency_key] = r; });
              return new Promise(function (resolve, reject) {
                var tx = db.transaction(["queue", "refused"], "readwrite");
                tx.oncomplete = resolve;
                tx.onerror = function () { reject(tx.error); };
                batch.forEach(function (r) {
                  if (refused[r.key]) {
                    r.reason = refused[r.key].reason;
                    r.message = refused[r.key].message;
                    tx.objectStore("refused").put(r);
                  }
                  tx.objectStore("queue").delete(r.key);
                });
              });
            }).then(function () { showAlert(""); showNet(); return sendNext(); });
          }
          return response.json().catch(function () { return {}; }).then(function (problem) {
            if (response.status === 401 || response.status === 403) {
              showAlert(say("refused", {n: rows.length}));
            } else if (response.status < 500) {
              showAlert(say("problem", {msg: problem.detail || problem.title || response.status}));
            }
            showNet();
            return null;
          });
        }, function () { showNet(); return null; });
      });
    }

    document.querySelectorAll(".kiosk-langbtn").forEach(function (b) {
      b.addEventListener("click", function () { setLang(b.dataset.lang); if (form) { touched(); } });
    });
    if (form) {  // no form when the survey is not open: the page still sends the queue
      form.addEventListener("change", touched);
      form.addEventListener("input", touched);
      form.addEventListener("submit", submit);
      document.getElementById("kiosk-next").addEventListener("click", reset);
    }
    window.addEventListener("online", function () { showNet(); sync(); });
    window.addEventListener("offline", showNet);
    setInterval(sync, RETRY_MS);
    showNet();

    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/kiosk/sw.js", {scope: "/kiosk/"}).catch(function () {});
    }
    if (window.caches && navigator.onLine) {
      // The first visit is not controlled by the worker yet: keep this page for offline use.
      caches.open(CACHE).then(function (cache) {
        return cache.addAll([window.location.pathname, "/static/zona.css", "/static/kiosk.css",
                             "/static/kiosk.js", "/static/favicon.svg"]);
      }).catch(function () {});
    }

    openDb().then(function (opened) {
      db = opened;
      return run(db, "config", "readonly", function (store) { return store.get(kioskId); });
    }).then(function (found) {
      config = found || null;
      if (!config) {
        document.getElementById("kiosk-unpaired").hidden = false;
        if (form) { form.hidden = true; }
      }
      return queued();
    }).then(function () { sync(); });
  }

  function start() {
    var paired = document.getElementById("kiosk-paired");
    if (paired) { pairingPage(paired); }
    var main = document.getElementById("kiosk");
    if (main) { kioskPage(main); }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
