// Upload progress for the htmx upload form (htmx fires htmx:xhr:progress on the element).
document.addEventListener("htmx:xhr:progress", (event) => {
  const form = event.target.closest("#upload-form");
  if (!form || !event.detail.lengthComputable) return;
  const bar = document.getElementById("upload-progress");
  const label = document.getElementById("upload-percent");
  const percent = Math.round((event.detail.loaded / event.detail.total) * 100);
  bar.hidden = false;
  bar.value = percent;
  label.textContent = percent < 100 ? `Uploading ${percent}%` : "Checking the files…";
});
document.addEventListener("htmx:afterRequest", (event) => {
  if (!event.target.closest || !event.target.closest("#upload-form")) return;
  document.getElementById("upload-progress").hidden = true;
  document.getElementById("upload-percent").textContent = "";
  if (event.detail.successful) event.target.closest("#upload-form").reset();
});
// A 503 (the task queue is down: nothing was stored) carries the per-file results: show them,
// unlike other 5xx, which have no fragment for this target.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 503 && event.detail.xhr.getResponseHeader("X-Upload-Results")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
