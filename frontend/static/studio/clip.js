// The clip page: the waveform under the video (waveform.js), and timed proposed cues that seek
// the video to their start.
document.addEventListener("DOMContentLoaded", () => {
  const container = document.getElementById("waveform");
  const video = document.getElementById("player");
  if (!container || !video) return;
  StudioWaveform.create({ container, video, durationMs: Number(container.dataset.durationMs) || 1, height: 80 });
});

// A timed cue row seeks the video to its start (click, or Enter when focused).
document.addEventListener("click", (event) => seekFromCue(event.target.closest("tr.cue[data-start-ms]")));
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter") seekFromCue(event.target.closest && event.target.closest("tr.cue[data-start-ms]"));
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
