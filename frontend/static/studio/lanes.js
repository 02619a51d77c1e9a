// The time lanes of the annotation timeline and the review page: a ruler that follows the zoom,
// the cues of a lane packed into rows, a playhead over the video's time, and seeking by a click
// on the ruler, a lane or a subtitle. The page keeps its own selection and keys, and adds to
// the playhead and the layout through afterPlayhead and afterLayout.
window.StudioLanes = (function () {
  "use strict";
  const RULER_STEPS = [40, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000];
  const MAX_BODY_PX = 16000;

  function create({ tracks, video, durationMs, afterPlayhead = () => {}, afterLayout = () => {} }) {
    const $ = (sel, el) => (el || document).querySelector(sel);
    const $$ = (sel, el) => Array.from((el || document).querySelectorAll(sel));
    let zoom = 1;

    function headWidth() { return $(".track-row > .head", tracks).offsetWidth || 180; }
    function bodyWidth() { return $("#ruler").clientWidth || 1; }

    function layout() {
      const visible = Math.max(200, tracks.clientWidth - headWidth() - 2);
      zoom = Math.min(Math.max(zoom, 1), Math.max(1, MAX_BODY_PX / visible));
      tracks.style.setProperty("--body-w", Math.round(visible * zoom) + "px");
      $("#zoom-display").textContent = (Math.round(zoom * 10) / 10) + "×";
      drawRuler();
      updatePlayhead();
      afterLayout();
    }
    function zoomBy(factor) {
      zoom *= factor;
      layout();
    }
    function drawRuler() {
      const width = bodyWidth();
      const step = RULER_STEPS.find((s) => (s / durationMs) * width >= 70) || 60000;
      const html = [];
      for (let t = 0; t <= durationMs; t += step / 2) {
        const major = t % step === 0;
        const label = major ? (t / 1000).toFixed(step < 1000 ? 2 : 0) + "s" : "";
        const left = (t / durationMs) * 100;
        html.push(`<span class="tick${major ? "" : " minor"}" style="left:${left}%">${label}</span>`);
      }
      $("#ruler").innerHTML = html.join("");
    }
    function updatePlayhead() {
      const ms = video.currentTime * 1000;
      $("#playhead").style.left = (ms / durationMs) * 100 + "%";
      $("#time-display").textContent = (ms / 1000).toFixed(3);
      $("#play-btn").textContent = video.paused ? "Play" : "Pause";
      afterPlayhead(ms);
    }
    function seekMs(ms) {
      video.currentTime = Math.max(0, Math.min(ms, durationMs)) / 1000;
      updatePlayhead();
    }
    function togglePlay() { if (video.paused) video.play().catch(() => {}); else video.pause(); }
    function msAtClientX(clientX) {
      const rect = $("#ruler").getBoundingClientRect();
      return Math.round(((clientX - rect.left) / rect.width) * durationMs);
    }

    // Overlapping cues of one lane go on separate rows (first row that is free at the start).
    function packLanes() {
      $$(".lane > .body", tracks).forEach((body) => {
        const ends = [];
        $$(".seg[data-start-ms]", body)
          .sort((a, b) => a.dataset.startMs - b.dataset.startMs || a.dataset.endMs - b.dataset.endMs)
          .forEach((seg) => {
            const start = Number(seg.dataset.startMs);
            let row = ends.findIndex((end) => end <= start);
            if (row < 0) { row = ends.length; ends.push(0); }
            ends[row] = Number(seg.dataset.endMs);
            seg.style.setProperty("--row", row);
          });
        body.style.setProperty("--rows", Math.max(1, ends.length));
      });
    }

    // A click on a subtitle seeks to its start, on the ruler or a lane's free space to that time.
    // Returns whether the click was one of these (the page handles clicks on its cues first).
    function seekOnClick(event) {
      const sub = event.target.closest(".seg.subtitle");
      if (sub) { seekMs(Number(sub.dataset.startMs)); return true; }
      if (!event.target.closest("#ruler, .lane > .body")) return false;
      seekMs(msAtClientX(event.clientX));
      return true;
    }

    // The playhead follows the video: its events, and every frame while it plays.
    function followVideo() {
      ["timeupdate", "seeked", "play", "pause", "loadedmetadata"]
        .forEach((e) => video.addEventListener(e, updatePlayhead));
      const tick = () => { if (!video.paused) updatePlayhead(); requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    }

    return {
      layout, zoomBy, updatePlayhead, seekMs, togglePlay, msAtClientX, packLanes, seekOnClick,
      followVideo, headWidth, bodyWidth,
    };
  }

  return { create };
})();
