// What every page shares, as listeners rather than inline handlers (the Content-Security-Policy
// allows no inline script, no on* attribute and no eval, so htmx's hx-on is off too):
// - a button with data-reload reloads the page; a link with data-back goes back;
// - a form with data-confirm asks that question before it is sent;
// - an htmx element with data-reveal-error hides its .loading and shows its .error when its
//   request fails (an error answer, or no answer at all);
// - a notice with data-undo-seconds offers its undo button that long (a short undo window).
document.addEventListener("click", (event) => {
  if (event.target.closest && event.target.closest("button[data-reload]")) location.reload();
  // A link with data-back goes back in the history (its href is where it came from).
  if (event.target.closest && event.target.closest("a[data-back]") && history.length > 1) {
    event.preventDefault();
    history.back();
  }
});
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset && form.dataset.confirm !== undefined && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
function revealError(event) {
  const element = event.target.closest && event.target.closest("[data-reveal-error]");
  if (!element) return;
  element.querySelectorAll(".loading").forEach((node) => { node.hidden = true; });
  element.querySelectorAll(".error").forEach((node) => { node.hidden = false; });
}
document.addEventListener("htmx:responseError", revealError);
document.addEventListener("htmx:sendError", revealError);
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-undo-seconds]").forEach((notice) => {
    setTimeout(() => {
      notice.querySelectorAll(".undo-submit").forEach((button) => button.remove());
      notice.dataset.undoClosed = "1";
    }, Number(notice.dataset.undoSeconds) * 1000);
  });
});
