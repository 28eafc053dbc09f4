// Small progressive enhancements; every page works without them.
"use strict";

// Elements with data-poll="URL" are replaced by the HTML fragment at URL every
// two seconds until the fragment no longer carries data-poll (the job finished).
function poll(element) {
  const url = element.dataset.poll;
  if (!url) return;
  setTimeout(async () => {
    try {
      const response = await fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
      if (!response.ok) { element.dataset.poll = ""; return; }
      const holder = document.createElement("div");
      holder.innerHTML = await response.text();
      const fresh = holder.firstElementChild;
      element.replaceWith(fresh);
      if (fresh.dataset.poll) poll(fresh);
    } catch (error) {
      setTimeout(() => poll(element), 4000);  // network hiccup: try again later
    }
  }, 2000);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-poll]").forEach(poll);
});
