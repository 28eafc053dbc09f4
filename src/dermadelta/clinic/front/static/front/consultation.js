// Plan form: show a concern's zones only while the concern is ticked, and tick all
// of its zones when it is ticked with none chosen. Every page works without it.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("fieldset[data-concern]").forEach((box) => {
    const tick = box.querySelector("label.tick input[type=checkbox]");
    if (!tick) return;
    const zones = () => Array.from(box.querySelectorAll(".concern-zones input[type=checkbox]"));
    const update = () => box.classList.toggle("off", !tick.checked);
    tick.addEventListener("change", () => {
      if (tick.checked && !zones().some((zone) => zone.checked)) zones().forEach((zone) => { zone.checked = true; });
      update();
    });
    update();
  });
});
