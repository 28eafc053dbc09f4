// Drag and drop and several photos at once, sent with fetch; the page works as a plain form without it.
"use strict";

// Shared with capture.js: show what an upload answered (the photos with their polling status, the refusals).
function showUploadAnswer(answer, results) {
  const list = results.querySelector("[data-uploaded]");
  const refused = results.querySelector("[data-refused]");
  const nothing = results.querySelector("[data-nothing]");
  if (nothing) nothing.remove();
  const lines = [...(answer.errors || []), ...(answer.refused || []).map((reason) => "Not saved: " + reason)];
  for (const line of lines) {
    const item = document.createElement("li");
    item.textContent = line;
    refused.append(item);
  }
  for (const saved of answer.saved || []) {
    const holder = document.createElement("div");
    holder.innerHTML = saved.html;  // rendered by the server, autoescaped
    const item = holder.firstElementChild;
    list.append(item);
    item.querySelectorAll("[data-poll]").forEach((element) => { if (typeof poll === "function") poll(element); });
  }
}

async function sendUpload(form, data) {
  const response = await fetch(form.action || window.location.pathname, {
    method: "POST",
    body: data,
    headers: { "Accept": "application/json", "X-Requested-With": "fetch" },
    credentials: "same-origin",
  });
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("application/json")) {
    return { saved: [], refused: [], errors: ["The upload was not accepted (" + response.status + "). Try again."] };
  }
  return response.json();
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-upload]");
  if (!form || !window.fetch || !window.FormData) return;
  const zone = form.querySelector("[data-dropzone]");
  const input = form.querySelector("input[type=file][name=photos]");
  const chosen = form.querySelector("[data-chosen]");
  const results = document.getElementById("upload-results");
  const button = form.querySelector("button[type=submit]");
  let dropped = [];

  function describe() {
    const files = dropped.length ? dropped : Array.from(input.files);
    chosen.textContent = files.length ? files.length + " chosen: " + files.map((f) => f.name).join(", ") : "";
  }

  ["dragenter", "dragover"].forEach((name) => zone.addEventListener(name, (event) => {
    event.preventDefault();
    zone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((name) => zone.addEventListener(name, () => zone.classList.remove("over")));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropped = Array.from(event.dataTransfer.files);
    describe();
  });
  input.addEventListener("change", () => { dropped = []; describe(); });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    if (dropped.length) {
      data.delete("photos");
      dropped.forEach((file) => data.append("photos", file, file.name));
    }
    button.disabled = true;
    button.textContent = "Uploading…";
    try {
      showUploadAnswer(await sendUpload(form, data), results);
      form.querySelector("input[type=file]").value = "";
      dropped = [];
      describe();
    } catch (error) {
      showUploadAnswer({ errors: ["The upload did not reach the clinic server; check the connection and try again."] }, results);
    } finally {
      button.disabled = false;
      button.textContent = "Upload";
    }
  });
});
