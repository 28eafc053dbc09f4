// The before/after viewer: a slider that wipes between the aligned photos, and the map and zone pickers
// switching without a page load. Without it, the photos stand side by side and the pickers are plain forms.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const wipe = document.querySelector("[data-wipe]");
  if (wipe) {
    const range = wipe.querySelector("[data-wipe-range]");
    const before = wipe.querySelector("[data-wipe-before]");
    const line = wipe.querySelector("[data-wipe-line]");
    // The value is how much of the width the before photo covers, from the left; a screen reader hears it in words.
    const words = range.dataset.valuetext;
    const show = () => {
      const percent = Number(range.value);
      before.style.clipPath = "inset(0 " + (100 - percent) + "% 0 0)";
      line.style.left = percent + "%";
      range.setAttribute("aria-valuetext", words.replace("{after}", 100 - percent).replace("{before}", percent));
    };
    range.addEventListener("input", show);
    wipe.hidden = false;
    show();
  }

  // A picker shows the one card or table whose data-<kind> matches, and hides the others; the polite live
  // region says what is shown now, since the change happens away from the picker a screen reader is on.
  const announcer = document.querySelector("[data-viewer-announce]");
  document.querySelectorAll("select[data-picker]").forEach((select) => {
    const kind = select.dataset.picker;
    const submit = select.form.querySelector("[data-picker-submit]");
    if (submit) submit.hidden = true;
    select.addEventListener("change", () => {
      let shown = null;
      document.querySelectorAll("[data-" + kind + "]:not(select)").forEach((element) => {
        element.hidden = element.dataset[kind] !== select.value;
        if (!element.hidden) shown = element;
      });
      if (announcer) {
        const heading = shown && shown.querySelector("h3");
        const what = heading ? heading.textContent : select.selectedOptions[0].textContent;
        announcer.textContent = select.dataset.announce + ": " + what.replace(/\s+/g, " ").trim() + ".";
      }
      document.querySelectorAll("input[type=hidden][name=" + kind + "]").forEach((input) => {
        input.value = select.value;
      });
    });
  });

  // While the comparison is measured, app.js polls its status; once it is done, show the results.
  const pending = document.querySelector("[data-comparison-pending]");
  if (pending) {
    new MutationObserver(() => {
      if (pending.querySelector("[data-done]")) window.location.reload();
    }).observe(pending, { childList: true, subtree: true });
  }
});
