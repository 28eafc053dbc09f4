// Plan form: hide the zone list of a concern until the concern is ticked. Works without it.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("fieldset[data-concern]").forEach((box) => {
    const tick = box.querySelector("label.tick input[type=checkbox]");
    if (!tick) return;
    const update = () => box.classList.toggle("off", !tick.checked);
    tick.addEventListener("change", update);
    update();
  });
});
