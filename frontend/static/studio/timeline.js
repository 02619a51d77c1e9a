// The annotation timeline: video, waveform (waveform.js), ruler with zoom and cue lanes
// (lanes.js), keyboard.
// Cue changes are htmx requests rendered by the server; this file only drives the media,
// the layout, the selection and the shortcuts, and keeps changes that could not be saved.
// Not editable (a submitted annotation, or the clip's read-only timeline, data-read-only): the
// keys that would change something do nothing; the read-only timeline has no form at all, and
// its run picker shows the chosen run at once.
(function () {
  "use strict";
  const PENDING_KEY = "emocue-pending-changes";
  const NOTICE_KEY = "emocue-timeline-notice";
  const UNSAVED_PREFIX = "emocue-unsaved:";  // + annotation id + ":" + "description" or "cue-<id>"
  let root, video, tracks, lanes, durationMs, fpsNum, fpsDen, base, editable, loginUrl, annotationId;
  let selectedId = null, markIn = null, markOut = null, dragging = null;
  let annotationDirty = false;
  // Keys that make, decide or submit something: nothing to do where nothing can change.
  const EDITING_KEYS = new Set(["n", "a", "r", "e", "Delete", "Enter", "[", "]"]);

  const $ = (sel, el) => (el || document).querySelector(sel);
  const $$ = (sel, el) => Array.from((el || document).querySelectorAll(sel));
  const fps = () => fpsNum / fpsDen;
  const nowMs = () => Math.round(video.currentTime * 1000);
  const frameOf = (seconds) => Math.floor(seconds * fps() + 1e-3);
  const frameMs = (frame) => Math.round((frame * 1000 * fpsDen) / fpsNum);

  function say(text, ok) {
    const bar = $("#timeline-message");
    bar.innerHTML = "";
    const p = document.createElement("p");
    p.className = "tl-message " + (ok ? "ok" : "error");
    p.textContent = text;
    bar.appendChild(p);
    return p;
  }

  // ---- media ----------------------------------------------------------------------------
  const seekMs = (ms) => lanes.seekMs(ms);
  const togglePlay = () => lanes.togglePlay();
  function stepFrames(n) {
    video.pause();
    const frame = Math.max(0, frameOf(video.currentTime) + n);
    video.currentTime = Math.min(frame / fps() + 1e-4, durationMs / 1000);
    lanes.updatePlayhead();
  }

  // ---- layout: zoom, ruler and playhead (lanes.js), the marked range --------------------------
  function setZoom(factor) {
    const scrollFrac = (tracks.scrollLeft + tracks.clientWidth / 2) / (tracks.scrollWidth || 1);
    lanes.zoomBy(factor);
    tracks.scrollLeft = scrollFrac * tracks.scrollWidth - tracks.clientWidth / 2;
  }
  function followPlayhead(ms) {
    $("#frame-display").textContent = frameOf(video.currentTime);
    if (!video.paused) {  // keep the playhead in view while playing
      const head = lanes.headWidth(), x = head + (ms / durationMs) * lanes.bodyWidth();
      if (x < tracks.scrollLeft + head || x > tracks.scrollLeft + tracks.clientWidth - 20) {
        tracks.scrollLeft = x - head - 40;
      }
    }
  }
  function updateMarks() {
    if (!$("#mark-in")) return;  // the read-only timeline marks no ranges
    $("#mark-in").textContent = markIn === null ? "—" : (markIn / 1000).toFixed(3);
    $("#mark-out").textContent = markOut === null ? "—" : (markOut / 1000).toFixed(3);
    const range = $("#marked-range");
    if (markIn !== null && markOut !== null && markOut > markIn) {
      range.hidden = false;
      range.style.left = (markIn / durationMs) * 100 + "%";
      range.style.width = ((markOut - markIn) / durationMs) * 100 + "%";
    } else range.hidden = true;
  }

  // ---- selection -------------------------------------------------------------------------
  function rows() { return $$("#cue-list > li.cue-row"); }
  function selectedRow() { return selectedId ? document.getElementById("cue-" + selectedId) : null; }
  function select(id, { seek = true } = {}) {
    selectedId = id ? String(id) : null;
    $$(".selected").forEach((el) => el.classList.remove("selected"));
    if (!selectedId) return;
    const row = selectedRow(), seg = document.getElementById("seg-" + selectedId);
    if (row) { row.classList.add("selected"); row.scrollIntoView({ block: "nearest" }); }
    if (seg) seg.classList.add("selected");
    if (seek && row && row.dataset.startMs !== undefined) seekMs(Number(row.dataset.startMs));
  }
  function move(delta) {
    const list = rows();
    if (!list.length) return;
    const index = list.findIndex((r) => r.dataset.cueId === selectedId);
    const next = index < 0 ? (delta > 0 ? 0 : list.length - 1) : Math.max(0, Math.min(list.length - 1, index + delta));
    select(list[next].dataset.cueId);
  }

  // ---- cue actions (the buttons and forms in the rows are htmx; keys press them) -----------
  function needSelection() {
    const row = selectedRow();
    if (!row) say("Select a cue first (↑ ↓ or a click).", false);
    return row;
  }
  function openInline(row, cls) {
    $$("form.inline-edit, form.inline-reject", row).forEach((f) => (f.hidden = true));
    const form = $("form." + cls, row);
    if (!form) return false;
    form.hidden = false;
    const input = $("input:not([type=hidden])", form);
    input.focus();
    input.select();
    return true;
  }
  function accept() {
    const row = needSelection();
    if (!row) return;
    const button = $(".act-accept", row);
    if (button) button.click(); else say(row.dataset.origin === "human" ? "Your own cues are already accepted." : "Already accepted.", true);
  }
  function reject() {
    const row = needSelection();
    if (row && !openInline(row, "inline-reject")) say(row.dataset.origin === "human" ? "Your own cues are deleted (Delete), not rejected." : "Already rejected; Ctrl+Z undoes it.", false);
  }
  function edit() { const row = needSelection(); if (row) openInline(row, "inline-edit"); }
  function remove() {
    const row = needSelection();
    if (!row) return;
    const button = $(".act-delete", row);
    if (button) button.click(); else say("Proposed cues are rejected (R), not deleted.", false);
  }
  function newCue() {
    const form = $("#new-cue-form");
    if (!form) return;
    let start = markIn, end = markOut;
    if (start === null || end === null || end <= start) {  // a short span at the playhead
      start = frameMs(frameOf(video.currentTime));
      end = Math.min(durationMs, start + 1000);
      if (end <= start) start = Math.max(0, end - 1000);
    }
    form.elements.start_ms.value = start;
    form.elements.end_ms.value = end;
    $("#new-cue-span").textContent = `${(start / 1000).toFixed(3)} – ${(end / 1000).toFixed(3)} s`;
    const row = selectedRow();
    if (row) form.elements.modality.value = row.dataset.modality;
    form.hidden = false;
    form.elements.modality.focus();
  }
  function submitAnnotation() {
    const button = $("#submit-btn");
    if (!button) return;
    if (annotationDirty) htmx.trigger("#annotation-form", "save-now");  // saved first, then submitted
    button.click();
  }

  // ---- retime by dragging a segment's edge ---------------------------------------------------
  function startDrag(event) {
    const handle = event.target.closest(".seg .handle");
    if (!handle || !editable) return;
    const seg = handle.closest(".seg");
    event.preventDefault();
    handle.setPointerCapture(event.pointerId);
    dragging = { seg, handle, left: handle.classList.contains("l"), start: Number(seg.dataset.startMs),
                 end: Number(seg.dataset.endMs), moved: false };
  }
  function onDrag(event) {
    if (!dragging) return;
    const ms = Math.max(0, Math.min(durationMs, lanes.msAtClientX(event.clientX)));
    if (dragging.left) dragging.start = Math.min(ms, dragging.end - 1); else dragging.end = Math.max(ms, dragging.start + 1);
    dragging.moved = true;
    dragging.seg.style.setProperty("--start", dragging.start);
    dragging.seg.style.setProperty("--end", dragging.end);
  }
  function endDrag() {
    if (!dragging) return;
    const { seg, start, end, moved } = dragging;
    dragging = null;
    if (!moved) return;
    seg.dataset.justDragged = "1";
    const id = seg.dataset.cueId;
    htmx.ajax("POST", seg.dataset.retimeUrl, {
      source: seg, target: "#cue-" + id, swap: "outerHTML",
      values: { version: seg.dataset.version, start_ms: start, end_ms: end },
    });
  }

  // ---- labels and autosave -------------------------------------------------------------------
  function addLabel(text) {
    const label = text.trim().toLowerCase().replace(/\s+/g, " ");
    if (!label) return;
    const chips = $("#label-chips");
    if ($$(".label-chip", chips).some((c) => c.dataset.label === label)) return;
    const chip = document.createElement("span");
    chip.className = "label-chip";
    chip.dataset.label = label;
    chip.innerHTML = '<label><input type="radio" name="primary_label"> </label><input type="hidden" name="labels"><button type="button" class="remove-label">×</button>';
    $("input[type=radio]", chip).value = label;
    $("label", chip).append(label);
    $("input[type=hidden]", chip).value = label;
    $("button", chip).setAttribute("aria-label", "Remove " + label);
    chips.appendChild(chip);
    if (!$("input[type=radio]:checked", chips)) $("input[type=radio]", chip).checked = true;
    annotationDirty = true;
    htmx.trigger("#annotation-form", "save-now");
  }

  // ---- no lost work ----------------------------------------------------------------------------
  function pendingList() { try { return JSON.parse(localStorage.getItem(PENDING_KEY) || "[]"); } catch (e) { return []; } }
  function keepPending(config) {
    if (!config || config.verb !== "post") return;
    const list = pendingList();
    list.push({ path: config.path, entries: Array.from(config.formData.entries()), at: Date.now() });
    localStorage.setItem(PENDING_KEY, JSON.stringify(list));
  }
  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  async function replayPending() {
    const list = pendingList();
    const mine = list.filter((p) => p.path.startsWith(base));
    if (!mine.length) return;
    localStorage.setItem(PENDING_KEY, JSON.stringify(list.filter((p) => !p.path.startsWith(base))));
    let saved = 0; const refused = [];
    for (const change of mine) {
      try {
        const response = await fetch(change.path, {
          method: "POST", credentials: "same-origin", body: new URLSearchParams(change.entries),
          headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
        });
        if (response.ok) saved++;
        else refused.push((new DOMParser().parseFromString(await response.text(), "text/html").body.textContent || response.statusText).trim());
      } catch (e) {
        refused.push("network error; kept for the next load");
        const again = pendingList(); again.push(change); localStorage.setItem(PENDING_KEY, JSON.stringify(again));
      }
    }
    const text = `Saved ${saved} change(s) kept from before you logged in.` + (refused.length ? " Not saved: " + refused.join(" ") : "");
    sessionStorage.setItem(NOTICE_KEY, JSON.stringify({ text, ok: !refused.length }));
    location.reload();
  }
  function atLogin(url) {  // an htmx request redirected to the login page
    try { return !!url && new URL(url, location.href).pathname === loginUrl; } catch (e) { return false; }
  }
  function sessionEnded(detail) {
    const xhr = detail.xhr;
    return xhr && (xhr.status === 401 || xhr.status === 403 || atLogin(xhr.responseURL));
  }

  // ---- a stale write keeps what was typed ---------------------------------------------------------
  // A 409 means another tab or person changed the text first. What this tab typed is kept in
  // sessionStorage (this tab only) under the annotation and the field, with the version it was
  // typed against; after the reload the page shows it beside the current text, to take either or
  // merge by hand.
  const unsavedKey = (field) => UNSAVED_PREFIX + annotationId + ":" + field;
  function keepUnsaved(detail) {
    const elt = detail.elt;
    if (!elt || !elt.closest) return false;
    let field, text, version;
    if (elt.id === "annotation-form") {
      field = "description";
      text = elt.elements.description.value;
      version = $("#annotation-version").value;
    } else if (elt.matches("form.inline-edit")) {
      const row = elt.closest("li.cue-row");
      field = "cue-" + row.dataset.cueId;
      text = elt.elements.text.value;
      version = elt.elements.version.value;
    } else return false;
    sessionStorage.setItem(unsavedKey(field), JSON.stringify({ text, version: Number(version), at: Date.now() }));
    return true;
  }
  function unsavedEntries() {
    const prefix = UNSAVED_PREFIX + annotationId + ":";
    const found = [];
    for (let i = 0; i < sessionStorage.length; i++) {
      const key = sessionStorage.key(i);
      if (!key.startsWith(prefix)) continue;
      try { found.push({ key, field: key.slice(prefix.length), ...JSON.parse(sessionStorage.getItem(key)) }); }
      catch (e) { sessionStorage.removeItem(key); }
    }
    return found.sort((a, b) => a.at - b.at);
  }
  function offerUnsaved() {
    const box = $("#unsaved-work");
    if (!box) return;
    box.replaceChildren();
    for (const entry of unsavedEntries()) {
      let current, what, useMine;
      if (entry.field === "description") {
        const area = $("#description");
        current = area.value; what = "the reasoning description";
        useMine = (text) => { area.value = text; annotationDirty = true; htmx.trigger("#annotation-form", "save-now"); };
      } else {
        const row = document.getElementById(entry.field);
        const form = row && $("form.inline-edit", row);
        if (!form) { sessionStorage.removeItem(entry.key); continue; }  // the cue is gone
        current = form.elements.text.value; what = "cue " + JSON.stringify(current.slice(0, 40));
        useMine = (text) => { form.elements.text.value = text; form.requestSubmit(); };
      }
      if (current.trim() === entry.text.trim()) { sessionStorage.removeItem(entry.key); continue; }
      const item = document.createElement("div");
      item.className = "unsaved-item";
      item.dataset.field = entry.field;
      const title = document.createElement("p");
      title.textContent = `Your unsaved text for ${what} (typed against version ${entry.version}; it was changed elsewhere):`;
      const cols = document.createElement("div");
      cols.className = "unsaved-compare";
      const mine = document.createElement("label");
      mine.textContent = "Yours (edit to merge)";
      const input = document.createElement("textarea");
      input.className = "unsaved-mine"; input.rows = entry.field === "description" ? 4 : 2; input.value = entry.text;
      mine.appendChild(input);
      const theirs = document.createElement("div");
      theirs.className = "unsaved-current";
      const head = document.createElement("span"); head.textContent = "Current";
      const body = document.createElement("p"); body.textContent = current || "(empty)";
      theirs.append(head, body);
      cols.append(mine, theirs);
      const buttons = document.createElement("div");
      buttons.className = "buttons";
      const take = document.createElement("button");
      take.type = "button"; take.className = "primary use-mine"; take.textContent = "Use mine";
      const keep = document.createElement("button");
      keep.type = "button"; keep.className = "keep-current"; keep.textContent = "Keep current";
      buttons.append(take, keep);
      const done = () => { sessionStorage.removeItem(entry.key); item.remove(); box.hidden = !box.children.length; };
      take.addEventListener("click", () => { const text = input.value.trim(); if (!text) { say("Type some text first, or keep the current one.", false); return; } useMine(text); done(); });
      keep.addEventListener("click", done);
      item.append(title, cols, buttons);
      box.appendChild(item);
    }
    box.hidden = !box.children.length;
  }

  // ---- keyboard ----------------------------------------------------------------------------------
  function typing(target) {
    return target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }
  function onKey(event) {
    const target = event.target;
    if (event.key === "Escape") {
      const form = target.closest && target.closest("form.inline-edit, form.inline-reject, #new-cue-form");
      if (form) { form.hidden = true; target.blur(); event.preventDefault(); }
      return;
    }
    if (target.closest && target.closest("#new-cue-form") && target.tagName === "SELECT" && event.key === "Enter") {
      event.preventDefault();
      $("#new-cue-form input[name=text]").focus();
      return;
    }
    if (typing(target) || $("#shortcuts").open) return;
    if (event.altKey || (event.metaKey && event.key.toLowerCase() !== "z")) return;
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
      if (!editable) return;
      event.preventDefault();
      const undo = $("#undo-btn"); if (undo) undo.click();
      return;
    }
    if (event.ctrlKey) return;
    const key = event.key;
    if (!editable && EDITING_KEYS.has(key.length === 1 ? key.toLowerCase() : key)) return;
    const handled = {
      " ": togglePlay,
      ArrowLeft: () => (event.shiftKey ? seekMs(nowMs() - 1000) : stepFrames(-1)),
      ArrowRight: () => (event.shiftKey ? seekMs(nowMs() + 1000) : stepFrames(1)),
      ArrowUp: () => move(-1), ArrowDown: () => move(1),
      j: () => { video.pause(); seekMs(nowMs() - 1000); },
      k: () => video.pause(),
      l: () => { video.playbackRate = video.paused ? 1 : Math.min(video.playbackRate * 1.5, 4); video.play().catch(() => {}); },
      "[": () => { markIn = frameMs(frameOf(video.currentTime)); if (markOut !== null && markOut <= markIn) markOut = null; updateMarks(); },
      "]": () => { markOut = frameMs(frameOf(video.currentTime)); if (markIn !== null && markOut <= markIn) markIn = null; updateMarks(); },
      n: newCue, a: accept, r: reject, e: edit, Delete: remove,
      "+": () => setZoom(1.5), "=": () => setZoom(1.5), "-": () => setZoom(1 / 1.5),
      "?": () => $("#shortcuts").showModal(),
      Enter: () => { if (target.tagName !== "BUTTON" && target.tagName !== "A") submitAnnotation(); else return false; },
    }[key.length === 1 ? key.toLowerCase() : key];
    if (!handled) return;
    if (handled() === false) return;
    event.preventDefault();
  }

  // ---- the annotation form: labels and the description, autosaved (one's own annotation only) ----
  function wireAnnotationForm(form) {
    form.addEventListener("submit", (event) => event.preventDefault());
    form.addEventListener("input", () => (annotationDirty = true));
    form.addEventListener("change", () => (annotationDirty = true));
    form.addEventListener("htmx:beforeRequest", () => (annotationDirty = false));
    const labelNew = $("#label-new");
    ["input", "change"].forEach((e) => labelNew.addEventListener(e, (event) => event.stopPropagation()));
    labelNew.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); addLabel(labelNew.value); labelNew.value = ""; }
    });
    $("#label-chips").addEventListener("click", (event) => {
      if (!event.target.classList.contains("remove-label")) return;
      const chip = event.target.closest(".label-chip");
      const wasPrimary = $("input[type=radio]", chip).checked;
      chip.remove();
      const first = $("#label-chips input[type=radio]");
      if (wasPrimary && first) first.checked = true;
      annotationDirty = true;
      htmx.trigger(form, "save-now");
    });
  }

  // ---- wiring --------------------------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", () => {
    root = document.getElementById("timeline");
    if (!root) return;
    video = $("#player");
    tracks = $("#tracks");
    durationMs = Number(root.dataset.durationMs) || 1;
    fpsNum = Number(root.dataset.fpsNum) || 25;
    fpsDen = Number(root.dataset.fpsDen) || 1;
    base = root.dataset.base;
    editable = root.dataset.editable === "1";
    loginUrl = document.body.dataset.loginUrl;
    annotationId = root.dataset.annotation;

    const notice = sessionStorage.getItem(NOTICE_KEY);
    if (notice) { sessionStorage.removeItem(NOTICE_KEY); const n = JSON.parse(notice); say(n.text, n.ok); }
    if (editable) { replayPending(); offerUnsaved(); }

    lanes = StudioLanes.create({
      tracks, video, durationMs, afterPlayhead: followPlayhead, afterLayout: updateMarks,
    });
    lanes.packLanes();
    lanes.layout();
    window.addEventListener("resize", lanes.layout);
    // The audio lane's body is the waveform's container: as wide as the ruler at every zoom.
    StudioWaveform.create({ container: $("#waveform"), video, durationMs, height: 64 });
    lanes.followVideo();

    $("#play-btn").addEventListener("click", togglePlay);
    $("#zoom-in").addEventListener("click", () => setZoom(1.5));
    $("#zoom-out").addEventListener("click", () => setZoom(1 / 1.5));
    $("#help-btn").addEventListener("click", () => $("#shortcuts").showModal());
    document.addEventListener("keydown", onKey);

    tracks.addEventListener("pointerdown", startDrag);
    tracks.addEventListener("pointermove", onDrag);
    tracks.addEventListener("pointerup", endDrag);
    tracks.addEventListener("click", (event) => {
      const seg = event.target.closest("[data-cue-id]");
      if (seg) {
        if (seg.dataset.justDragged) { delete seg.dataset.justDragged; return; }
        select(seg.dataset.cueId);
        return;
      }
      lanes.seekOnClick(event);
    });
    $("#cue-list-card").parentElement.addEventListener("click", (event) => {
      const row = event.target.closest("li.cue-row");
      if (!row || event.target.closest("button, input, form")) return;
      select(row.dataset.cueId);
    });
    document.addEventListener("click", (event) => {
      if (event.target.classList.contains("act-edit")) openInline(event.target.closest("li"), "inline-edit");
      if (event.target.classList.contains("act-reject")) openInline(event.target.closest("li"), "inline-reject");
    });

    // The read-only timeline's run picker shows the chosen run at once (Show does without script).
    document.addEventListener("change", (event) => {
      const picker = event.target.closest && event.target.closest("form.view-picker");
      if (picker) picker.requestSubmit();
    });

    const form = $("#annotation-form");
    if (form) wireAnnotationForm(form);

    const newForm = $("#new-cue-form");
    if (newForm) {
      $(".cancel", newForm).addEventListener("click", () => (newForm.hidden = true));
      newForm.addEventListener("htmx:afterRequest", (event) => {
        if (event.detail.successful && event.detail.xhr.status < 300) { newForm.hidden = true; newForm.elements.text.value = ""; }
      });
    }

    // After a list or lane swap, the selection is drawn again; after add/undo, the server names the cue.
    document.body.addEventListener("cues-changed", (event) => { if (event.detail && event.detail.select) selectedId = String(event.detail.select); });
    document.body.addEventListener("htmx:afterSettle", () => {
      lanes.packLanes();
      if (selectedId) select(selectedId, { seek: false });
    });
    document.body.addEventListener("htmx:beforeSwap", (event) => {
      const xhr = event.detail.xhr;
      if (sessionEnded(event.detail) && xhr.status !== 401) event.detail.shouldSwap = false;  // no login page in a row
    });
    document.body.addEventListener("htmx:afterRequest", (event) => {
      const status = event.detail.xhr && event.detail.xhr.status;
      if (status === 409 && keepUnsaved(event.detail)) {
        const note = document.createElement("span");
        note.className = "unsaved-kept";
        note.textContent = " What you typed is kept: after the reload you can use it, keep the current text, or merge the two.";
        const message = $("#timeline-message .tl-message");
        if (message) message.insertBefore(note, $("button.reload", message));
      }
      if (!sessionEnded(event.detail)) return;
      keepPending(event.detail.requestConfig);
      const p = say("Not saved: your session has ended. The change is kept in this browser and saved when you come back after logging in. ", false);
      const link = document.createElement("a");
      link.href = loginUrl + "?next=" + encodeURIComponent(location.pathname);
      link.textContent = "Log in";
      p.appendChild(link);
    });
    document.body.addEventListener("htmx:responseError", (event) => {
      say(`Not saved: the server failed (${event.detail.xhr.status}). Nothing was changed; try again, or reload.`, false);
    });
    document.body.addEventListener("htmx:sendError", (event) => {
      keepPending(event.detail.requestConfig);
      say("Not saved: the server could not be reached. The change is kept in this browser and retried when the page loads again.", false);
    });
    root.dataset.ready = "1";
  });
})();
