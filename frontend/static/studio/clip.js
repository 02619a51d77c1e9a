// The clip page: the waveform under the video (waveform.js), timed proposed cues and subtitle
// segments that seek the video to their start, and the rows of a manager's subtitle correction.
document.addEventListener("DOMContentLoaded", () => {
  const container = document.getElementById("waveform");
  const video = document.getElementById("player");
  if (!container || !video) return;
  StudioWaveform.create({ container, video, durationMs: Number(container.dataset.durationMs) || 1, height: 80 });
});

// A timed cue row or subtitle segment seeks the video to its start (click, or Enter when focused).
const SEEKS = "tr.cue[data-start-ms], tr.subtitle-segment[data-start-ms]";
document.addEventListener("click", (event) => seekFromCue(event.target.closest(SEEKS)));
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter") seekFromCue(event.target.closest && event.target.closest(SEEKS));
});
function seekFromCue(row) {
  const video = document.getElementById("player");
  if (!row || !video) return;
  video.currentTime = Number(row.dataset.startMs) / 1000;
  video.play().catch(() => {});
}

// The run picker shows the chosen run's proposals at once (the Show button does without script).
document.addEventListener("change", (event) => {
  const picker = event.target.closest && event.target.closest("#run-picker");
  if (picker) picker.requestSubmit();
});

// The subtitle correction form: "Add a segment" appends a blank row (a copy of the form's blank
// one); "Remove" takes a row out (the last row left is emptied instead, so one stays to fill).
document.addEventListener("click", (event) => {
  const add = event.target.closest && event.target.closest("button.add-subtitle-row");
  if (add) {
    const body = add.closest("form").querySelector("table.subtitle-rows tbody");
    const blank = body.querySelector("tr.subtitle-row-new") || body.querySelector("tr.subtitle-row-edit");
    const row = blank.cloneNode(true);
    row.querySelectorAll("input").forEach((input) => { input.value = ""; });
    body.appendChild(row);
    row.querySelector("input").focus();
    return;
  }
  const remove = event.target.closest && event.target.closest("button.remove-subtitle-row");
  if (remove) {
    const row = remove.closest("tr");
    if (row.parentElement.querySelectorAll("tr.subtitle-row-edit").length > 1) row.remove();
    else row.querySelectorAll("input").forEach((input) => { input.value = ""; });
  }
});
