// The camera page: live video from the front camera with the first photo of the view overlaid, so that each
// new photo matches its framing. Without a camera API, the plain file input (capture="user") does the job.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const camera = document.querySelector("[data-camera]");
  const form = document.querySelector("form[data-capture-form]");
  if (!camera || !form) return;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.fetch) return;

  const video = camera.querySelector("[data-video]");
  const stage = camera.querySelector("[data-stage]");
  const overlay = camera.querySelector("[data-overlay]");
  const opacity = camera.querySelector("[data-opacity]");
  const take = camera.querySelector("[data-take]");
  const canvas = camera.querySelector("[data-canvas]");
  const problem = camera.querySelector("[data-camera-error]");
  const results = document.querySelector("[data-uploaded]").closest("section");

  if (overlay && opacity) {
    opacity.addEventListener("input", () => { overlay.style.opacity = String(opacity.value / 100); });
  }

  navigator.mediaDevices.getUserMedia({
    video: { facingMode: "user", width: { ideal: 1920 }, height: { ideal: 1440 } },
    audio: false,
  }).then((stream) => {
    video.srcObject = stream;
    camera.hidden = false;
    const title = document.querySelector("[data-fallback-title]");
    if (title) title.textContent = "Or choose a photo from the device";
    video.addEventListener("loadedmetadata", () => {
      stage.style.aspectRatio = video.videoWidth + " / " + video.videoHeight;
    });
  }).catch(() => {
    // No permission or no camera: the file input below still works.
  });

  take.addEventListener("click", () => {
    if (!video.videoWidth) return;
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);  // the real frame, not the mirrored preview
    take.disabled = true;
    canvas.toBlob(async (blob) => {
      problem.textContent = "";
      const data = new FormData(form);
      data.delete("photos");
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      data.append("photos", blob, "camera-" + stamp + ".jpg");
      try {
        showUploadAnswer(await sendUpload(form, data), results);
      } catch (error) {
        problem.textContent = "The photo did not reach the clinic server; check the connection and take it again.";
      } finally {
        take.disabled = false;
      }
    }, "image/jpeg", 0.92);
  });
});
