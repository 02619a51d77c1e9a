// The waveform of a clip, on every page that shows one: wavesurfer.js draws the precomputed
// peaks (audiowaveform JSON: interleaved min/max per column, per channel) and follows the
// <video> itself, so no audio file is ever fetched; its cursor is the playhead and a click or a
// drag seeks the video. wavesurfer fills its container (no zoom of its own) and redraws when
// the container is resized.
window.StudioWaveform = (function () {
  "use strict";

  function peakChannels(json) {
    const data = json.data || [], channels = Math.max(1, json.channels || 1);
    const scale = json.bits === 16 ? 32768 : 128, columns = Math.floor(data.length / (2 * channels));
    const max = new Float32Array(columns), min = new Float32Array(columns);
    for (let c = 0; c < columns; c++) {
      let lo = 0, hi = 0;
      for (let ch = 0; ch < channels; ch++) {
        const i = 2 * (c * channels + ch);
        lo = Math.min(lo, data[i]); hi = Math.max(hi, data[i + 1]);
      }
      min[c] = Math.max(-1, lo / scale); max[c] = Math.min(1, hi / scale);
    }
    return [max, min];  // wavesurfer draws the first above the centre line, the second below
  }

  // The container's data-peaks names the peaks file; data-ready="1" is set once it is drawn.
  async function create({ container, video, durationMs, height }) {
    if (!container || !container.dataset.peaks || !window.WaveSurfer) return null;
    let json;
    try {
      const response = await fetch(container.dataset.peaks, { credentials: "same-origin" });
      if (!response.ok) return null;
      json = await response.json();
    } catch (e) {
      return null;
    }
    const wave = WaveSurfer.create({
      container, media: video, peaks: peakChannels(json), duration: durationMs / 1000,
      height, normalize: true, interact: true, dragToSeek: true, fillParent: true,
      autoScroll: false, autoCenter: false, hideScrollbar: true,
      // wavesurfer styles its shadow DOM with a <style>: the page's CSP nonce lets it in.
      cspNonce: container.dataset.styleNonce || undefined,
      waveColor: "#9db3d6", progressColor: "#3d5f95", cursorColor: "#d9480f", cursorWidth: 2,
    });
    wave.on("redrawcomplete", () => { container.dataset.ready = "1"; });
    return wave;
  }

  return { create };
})();
