// What the page tells people besides the video: screen-reader announcements (joins, leaves,
// lobby) and short visible notices (server errors, connection trouble).
import { el } from "./elements.js";

export class Notices {
  /**
   * @param {HTMLElement} announcer a visually hidden element with aria-live="polite"
   * @param {HTMLElement} toasts a visible container with role="status"
   */
  constructor(announcer, toasts) {
    this.announcer = announcer;
    this.toasts = toasts;
    /** @type {string[]} */
    this.queue = [];
    this.flushing = false;
  }

  /**
   * Say something to screen-reader users without moving focus.
   * Messages are spaced out so a burst (three people joining) is read in full.
   * @param {string} text
   */
  announce(text) {
    this.queue.push(text);
    if (!this.flushing) this.#flush();
  }

  #flush() {
    const next = this.queue.shift();
    if (next === undefined) {
      this.flushing = false;
      return;
    }
    this.flushing = true;
    // Replacing the text (rather than appending) keeps the region short; the brief pause
    // makes screen readers treat a repeated message as new.
    this.announcer.textContent = "";
    setTimeout(() => {
      this.announcer.textContent = next;
      setTimeout(() => this.#flush(), 700);
    }, 50);
  }

  /**
   * Show a short, dismissible notice; it disappears on its own.
   * @param {string} text
   * @param {{kind?: "error"|"info", timeoutMs?: number}} [options]
   * @returns {HTMLElement} the notice, e.g. to remove it early
   */
  show(text, { kind = "error", timeoutMs = 8000 } = {}) {
    // The same notice again (a burst of identical errors) is shown once.
    for (const existing of this.toasts.querySelectorAll(".toast")) {
      if (existing.querySelector("p")?.textContent === text) return /** @type {HTMLElement} */ (existing);
    }
    const close = el("button", { type: "button", class: "toast-close small", "aria-label": "Dismiss" }, "×");
    const toast = el("div", { class: `toast toast-${kind}` }, el("p", { text }), close);
    const remove = () => toast.remove();
    close.addEventListener("click", remove);
    this.toasts.append(toast);
    while (this.toasts.childElementCount > 4) this.toasts.firstElementChild?.remove();
    if (timeoutMs > 0) setTimeout(remove, timeoutMs);
    return toast;
  }
}
