// foto serve: a search on the index is logged, as a keyed hash only (the server hashes it and
// keeps no text). The search itself stays in the page; this only tells the server that one was
// made, once the typing has stopped for a moment, and once per distinct text.
(function () {
  "use strict";
  const csrf = document.currentScript.dataset.csrf;
  const box = document.getElementById("zoek");
  if (!box) return;
  let timer = null;
  let logged = "";
  function report() {
    const q = box.value.trim();
    if (!q || q === logged) return;
    logged = q;
    fetch("/zoek", { method: "POST", credentials: "same-origin", keepalive: true,
                     headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
                     body: JSON.stringify({ q: q }) });
  }
  box.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(report, 1200); });
  box.addEventListener("change", report);
  window.addEventListener("load", report);   // a search given in the address ('#zoek=...')
})();
