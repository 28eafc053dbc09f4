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

// A table wider than its card scrolls sideways (phones); one with no link or button inside is made a
// tab stop, so that a keyboard user can reach it and scroll it with the arrow keys (WCAG 2.1.1). Observed,
// so that a table shown later (a picker, a <details> opened) or a turned phone is judged again.
function reachIfScrolling(table) {
  const scrolls = table.scrollWidth > table.clientWidth + 1;
  if (scrolls && !table.querySelector("a, button, input, select, textarea")) table.tabIndex = 0;
  else if (!scrolls) table.removeAttribute("tabindex");
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-poll]").forEach(poll);
  const tables = new ResizeObserver((entries) => entries.forEach((entry) => reachIfScrolling(entry.target)));
  document.querySelectorAll("table").forEach((table) => tables.observe(table));
});
