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
// One clip name field per chosen video, in the files' order, filled with the file's name
// without its extension (what the server would use); the server takes names[i] for files[i].
function uploadNamesFill(input) {
  const box = document.getElementById("upload-names");
  box.querySelectorAll("label").forEach((label) => label.remove());
  for (const file of input.files) {
    const dot = file.name.lastIndexOf(".");
    const label = document.createElement("label");
    label.className = "upload-name";
    label.append(`Clip name for ${file.name} `);
    const field = document.createElement("input");
    field.name = "names";
    field.maxLength = 200;
    field.required = true;
    field.value = dot > 0 ? file.name.slice(0, dot) : file.name;
    field.dataset.filename = file.name;
    label.append(field);
    box.append(label);
  }
  box.hidden = input.files.length === 0;
}
document.addEventListener("change", (event) => {
  if (event.target.matches("#upload-form input[name=files]")) uploadNamesFill(event.target);
});
// "Use <free name>" under a refusal puts the suggested name into that file's field.
document.addEventListener("click", (event) => {
  const button = event.target.closest("#upload-results button.use-name");
  if (!button) return;
  for (const field of document.querySelectorAll("#upload-names input[name=names]")) {
    if (field.dataset.filename === button.dataset.filename) {
      field.value = button.dataset.name;
      field.focus();
    }
  }
});
document.addEventListener("htmx:afterRequest", (event) => {
  if (!event.target.closest || !event.target.closest("#upload-form")) return;
  document.getElementById("upload-progress").hidden = true;
  document.getElementById("upload-percent").textContent = "";
  // Only when every file was added: after a refusal the files and names stay, to rename.
  if (event.detail.xhr && event.detail.xhr.status === 201) {
    const form = event.target.closest("#upload-form");
    form.reset();
    uploadNamesFill(form.querySelector("input[name=files]"));
  }
});
// A 503 (the task queue is down: nothing was stored) carries the per-file results: show them,
// unlike other 5xx, which have no fragment for this target.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 503 && event.detail.xhr.getResponseHeader("X-Upload-Results")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
