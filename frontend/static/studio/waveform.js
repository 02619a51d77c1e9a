// Draws precomputed waveform peaks (audiowaveform JSON: interleaved min/max, 8-bit) on a
// canvas, keeps a playhead in step with the video, and seeks where the canvas is clicked.
(function () {
  function draw(canvas, peaks, position) {
    const ctx = canvas.getContext("2d");
    const width = (canvas.width = canvas.clientWidth * devicePixelRatio);
    const height = canvas.height;
    const data = peaks.data;
    const columns = data.length / 2;
    const scale = peaks.bits === 16 ? 32768 : 128;
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = "#5b7db1";
    for (let x = 0; x < width; x++) {
      const i = Math.floor((x / width) * columns) * 2;
      const lo = data[i] / scale, hi = data[i + 1] / scale;
      const top = ((1 - hi) / 2) * height, bottom = ((1 - lo) / 2) * height;
      ctx.fillRect(x, top, 1, Math.max(1, bottom - top));
    }
    if (position !== null) {
      ctx.fillStyle = "#d9480f";
      ctx.fillRect(Math.round(position * width), 0, 2, height);
    }
  }
  document.addEventListener("DOMContentLoaded", async () => {
    const canvas = document.getElementById("waveform");
    const video = document.getElementById("player");
    if (!canvas) return;
    const response = await fetch(canvas.dataset.peaks, { credentials: "same-origin" });
    if (!response.ok) return;
    const peaks = await response.json();
    const durationMs = Number(canvas.dataset.durationMs) || 1;
    const redraw = () => draw(canvas, peaks, video ? (video.currentTime * 1000) / durationMs : null);
    redraw();
    window.addEventListener("resize", redraw);
    if (video) {
      video.addEventListener("timeupdate", redraw);
      canvas.addEventListener("click", (event) => {
        const rect = canvas.getBoundingClientRect();
        video.currentTime = (((event.clientX - rect.left) / rect.width) * durationMs) / 1000;
      });
    }
    canvas.dataset.ready = "1";
  });
})();

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
