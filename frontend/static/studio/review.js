// The reviewer page: video, ruler with zoom and playhead, annotator and model lanes (lanes.js),
// and the cues of one alignment group highlighted together. Every decision is an htmx request
// that the server answers with the updated workspace; this file only drives media, layout and
// selection.
(function () {
  "use strict";
  let root, video, tracks, lanes, durationMs, selectedGroup = null, selectedCue = null;

  const $ = (sel, el) => (el || document).querySelector(sel);
  const $$ = (sel, el) => Array.from((el || document).querySelectorAll(sel));
  const nowMs = () => Math.round(video.currentTime * 1000);

  const seekMs = (ms) => lanes.seekMs(ms);
  const togglePlay = () => lanes.togglePlay();

  // ---- groups: hover highlights, a click selects (and seeks) ------------------------------
  function members(key) { return key ? $$(`[data-group="${CSS.escape(key)}"]`) : []; }
  function hover(key, on) { members(key).forEach((el) => el.classList.toggle("hl", on)); }
  function selectGroup(key, { seek = true, scroll = true } = {}) {
    $$(".group-selected").forEach((el) => el.classList.remove("group-selected"));
    selectedGroup = key || null;
    if (!selectedGroup) return;
    members(selectedGroup).forEach((el) => el.classList.add("group-selected"));
    const item = document.getElementById("group-" + selectedGroup);
    if (item && scroll) item.scrollIntoView({ block: "nearest" });
    if (seek && item && item.dataset.startMs !== undefined) seekMs(Number(item.dataset.startMs));
  }
  function selectCue(seg) {
    $$(".cue-selected").forEach((el) => el.classList.remove("cue-selected"));
    selectedCue = seg ? seg.dataset.cueId : null;
    if (seg) seg.classList.add("cue-selected");
    updatePin();
  }

  // ---- comments: pinned to the current time or to the selected cue -------------------------
  function updatePin() {
    const form = $("#comment-form");
    if (!form) return;
    const pin = form.elements.pin.value;
    const target = $("#pin-target");
    if (pin === "cue") {
      const seg = selectedCue && document.getElementById("rseg-" + selectedCue);
      target.textContent = seg ? "“" + seg.textContent.trim().slice(0, 50) + "”" : "click a cue in a lane first";
    } else if (pin === "time") target.textContent = (nowMs() / 1000).toFixed(3) + " s";
    else target.textContent = "";
  }
  function fillPin(form) {
    const pin = form.elements.pin.value;
    form.elements.time_ms.value = pin === "time" ? nowMs() : "";
    form.elements.cue.value = pin === "cue" && selectedCue ? selectedCue : "";
  }

  // ---- keyboard: ↑ ↓ walk the groups, A accept, R reject, M tick for merging --------------
  function groupItems() { return $$("li.group"); }
  function moveGroup(delta) {
    const items = groupItems();
    if (!items.length) return;
    const index = items.findIndex((el) => el.dataset.group === selectedGroup);
    const next = index < 0 ? (delta > 0 ? 0 : items.length - 1) : Math.max(0, Math.min(items.length - 1, index + delta));
    selectGroup(items[next].dataset.group);
  }
  function pressInGroup(selector) {
    const item = selectedGroup && document.getElementById("group-" + selectedGroup);
    const el = item && $(selector, item);
    if (!el) return;
    if (el.type === "checkbox") { el.checked = !el.checked; el.dispatchEvent(new Event("change", { bubbles: true })); } else el.click();
  }
  function onKey(event) {
    const t = event.target;
    if (t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT", "BUTTON"].includes(t.tagName))) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const fps = (Number(root.dataset.fpsNum) || 25) / (Number(root.dataset.fpsDen) || 1);
    const step = event.shiftKey ? 1000 : 1000 / fps;
    const handled = {
      " ": togglePlay,
      ArrowLeft: () => { video.pause(); seekMs(nowMs() - step); },
      ArrowRight: () => { video.pause(); seekMs(nowMs() + step); },
      ArrowUp: () => moveGroup(-1), ArrowDown: () => moveGroup(1),
      a: () => pressInGroup(".act-accept"), r: () => pressInGroup(".act-reject"),
      m: () => pressInGroup(".merge-pick"),
    }[event.key.length === 1 ? event.key.toLowerCase() : event.key];
    if (!handled) return;
    event.preventDefault();
    handled();
  }

  document.addEventListener("DOMContentLoaded", () => {
    root = document.getElementById("review");
    if (!root) return;
    video = $("#player");
    tracks = $("#tracks");
    durationMs = Number(root.dataset.durationMs) || 1;

    lanes = StudioLanes.create({ tracks, video, durationMs });
    lanes.packLanes();
    lanes.layout();
    window.addEventListener("resize", lanes.layout);
    lanes.followVideo();
    ["timeupdate", "seeked", "play", "pause", "loadedmetadata"].forEach((e) => video.addEventListener(e, updatePin));
    $("#play-btn").addEventListener("click", togglePlay);
    $("#zoom-in").addEventListener("click", () => lanes.zoomBy(1.5));
    $("#zoom-out").addEventListener("click", () => lanes.zoomBy(1 / 1.5));
    document.addEventListener("keydown", onKey);

    // One listener each for the whole page, so swapped-in partials need no wiring.
    document.addEventListener("mouseover", (event) => {
      const el = event.target.closest && event.target.closest("[data-group]");
      if (el && el.dataset.group) hover(el.dataset.group, true);
    });
    document.addEventListener("mouseout", (event) => {
      const el = event.target.closest && event.target.closest("[data-group]");
      if (el && el.dataset.group) hover(el.dataset.group, false);
    });
    tracks.addEventListener("click", (event) => {
      const seg = event.target.closest(".rseg");
      if (seg) {
        selectCue(seg);
        if (seg.dataset.group) selectGroup(seg.dataset.group, { seek: false });
        if (seg.dataset.startMs !== undefined) seekMs(Number(seg.dataset.startMs));
        return;
      }
      lanes.seekOnClick(event);
    });
    document.addEventListener("click", (event) => {
      const seek = event.target.closest("button.seek");
      if (seek) { seekMs(Number(seek.dataset.startMs)); return; }
      const head = event.target.closest(".group .g-head, .group .members");
      if (head && !event.target.closest("input, button, label")) selectGroup(head.closest(".group").dataset.group, { scroll: false });
      const playhead = event.target.closest("button.use-playhead");
      if (playhead) {
        const form = playhead.closest("form");
        const start = nowMs();
        form.elements.start_ms.value = start;
        form.elements.end_ms.value = Math.min(durationMs, start + 1000);
      }
    });
    // Ticking a group for a merge offers its first text as the merged wording.
    document.addEventListener("change", (event) => {
      const pick = event.target.closest(".merge-pick");
      if (pick && pick.checked && pick.form && !pick.form.elements.text.value) pick.form.elements.text.value = pick.dataset.firstText || "";
      if (event.target.name === "written" || event.target.closest(".pick.written")) {
        const radio = $("input[type=radio]", event.target.closest(".pick.written"));
        if (radio) radio.checked = true;
      }
      if (event.target.name === "pin") updatePin();
    });
    document.addEventListener("input", (event) => {
      if (event.target.name === "written") $("input[type=radio]", event.target.closest(".pick.written")).checked = true;
    });
    document.addEventListener("htmx:configRequest", (event) => {
      const form = event.detail.elt.closest && event.detail.elt.closest("#comment-form");
      if (form) {
        fillPin(form);
        event.detail.parameters.time_ms = form.elements.time_ms.value;
        event.detail.parameters.cue = form.elements.cue.value;
      }
    });
    // The version the workspace was rendered with is the one every form sends next.
    document.body.addEventListener("htmx:afterSettle", () => {
      if (selectedGroup) selectGroup(selectedGroup, { seek: false, scroll: false });
      updatePin();
    });
    document.body.addEventListener("htmx:responseError", (event) => {
      const bar = $("#review-message");
      bar.innerHTML = "";
      const p = document.createElement("p");
      p.className = "tl-message error";
      p.textContent = `Not saved: the server failed (${event.detail.xhr.status}). Nothing was changed; try again, or reload.`;
      bar.appendChild(p);
    });
    document.body.addEventListener("htmx:sendError", () => {
      const bar = $("#review-message");
      bar.innerHTML = '<p class="tl-message error">Not saved: the server could not be reached. Try again when the connection is back.</p>';
    });
    updatePin();
    root.dataset.ready = "1";
  });
})();
