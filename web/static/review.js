// The review page's keys and its one request. Text from the server is set with textContent
// only: nothing it says is ever read as HTML.
(function () {
  "use strict";
  const body = document.body;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const base = document.querySelector('meta[name="base"]').content;
  const nameField = document.getElementById("reviewer");
  const reason = document.getElementById("reason");
  const outcome = document.getElementById("outcome");
  const rows = Array.from(document.querySelectorAll("tr[data-href]"));
  let selected = -1;

  if (nameField) {
    nameField.value = sessionStorage.getItem("foto-reviewer") || "";
    nameField.addEventListener("input", () => sessionStorage.setItem("foto-reviewer", nameField.value));
  }

  function say(text, kind) {
    outcome.textContent = text;
    outcome.className = kind || "";
  }

  function select(i) {
    if (!rows.length) return;
    selected = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((row, n) => row.classList.toggle("selected", n === selected));
    rows[selected].scrollIntoView({ block: "nearest" });
  }

  async function poll(job, line) {
    const answer = await fetch(base + "/status/" + encodeURIComponent(job), { credentials: "same-origin" });
    if (!answer.ok) { line.textContent = "update status unknown"; return; }
    const state = await answer.json();
    line.textContent = "Update: " + state.message;
    line.dataset.state = state.state;
    if (state.state === "queued" || state.state === "running") setTimeout(() => poll(job, line), 1000);
  }

  async function decide(decision) {
    if (!reason.value.trim()) {
      say("Give a reason first (a case reference or a few words): press r.", "warn");
      reason.focus();
      return;
    }
    const by = nameField ? nameField.value.trim() : "";
    if (nameField && !by) { say("Give your name first.", "warn"); nameField.focus(); return; }
    say("storing…");
    const answer = await fetch(base + "/judgement", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ left: body.dataset.left, right: body.dataset.right, decision: decision,
                             reason: reason.value, by: by }),
    });
    const said = await answer.json().catch(() => ({}));
    if (!answer.ok) { say("Not stored: " + (said.refused || said.detail || answer.status), "warn"); return; }
    say("Stored as judgement " + said.id + " (" + said.decision + "): " + said.effect + ".", "stored");
    const line = document.createElement("span");
    line.className = "status";
    line.textContent = said.job ? "Update: queued" : "It " + said.status + ".";
    outcome.appendChild(document.createElement("br"));
    outcome.appendChild(line);
    if (said.job) poll(said.job, line);
  }

  document.querySelectorAll("button[data-decision]").forEach((button) =>
    button.addEventListener("click", () => decide(button.dataset.decision)));

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    const page = body.dataset.page;
    if (page === "queue") {
      if (event.key === "j") select(selected + 1);
      else if (event.key === "k") select(selected - 1);
      else if (event.key === "Enter" && selected >= 0) location.href = rows[selected].dataset.href;
      return;
    }
    if (page !== "item") return;
    const decisions = { s: "same", d: "different", u: "unsure" };
    if (event.key in decisions) { event.preventDefault(); decide(decisions[event.key]); }
    else if (event.key === "r") { event.preventDefault(); reason.focus(); }
    else if (event.key === "j" && body.dataset.next) location.href = body.dataset.next;
    else if (event.key === "k" && body.dataset.previous) location.href = body.dataset.previous;
  });
})();
