// The recording's state in the room (docs/signaling.md: `recording`): the indicator everyone
// sees, and the interviewers' Pause/Resume button.

/** @typedef {"off"|"recording"|"paused"|"failed"} RecordingState */

const STATES = new Set(["off", "recording", "paused", "failed"]);
const ANSWER_WITHIN_MS = 5000;

/**
 * The state from `welcome.recording` or a `recording` message ({state, reason?}, or a bare state).
 * @param {unknown} value
 * @returns {{state: RecordingState, reason: string}|null} null when it is not a state we know
 */
export function recordingState(value) {
  /** @type {any} */
  const raw = typeof value === "string" ? { state: value } : value;
  if (!raw || typeof raw !== "object" || !STATES.has(raw.state)) return null;
  return { state: raw.state, reason: typeof raw.reason === "string" ? raw.reason.trim() : "" };
}

/**
 * What the indicator says. Candidates are not told why a recording failed, only that it stopped.
 * @param {RecordingState} state
 * @param {string} reason
 * @param {boolean} interviewer
 * @returns {string} "" when nothing is shown
 */
export function indicatorText(state, reason, interviewer) {
  if (state === "recording") return "Recording";
  if (state === "paused") return "Recording paused";
  if (state === "failed") {
    if (!interviewer) return "Not recording";
    return reason ? `Recording stopped: ${reason}` : "Recording stopped";
  }
  return "";
}

/**
 * What screen readers hear when the state changes from `before` to `state`.
 * @param {RecordingState|null} before
 * @param {RecordingState} state
 * @param {string} reason
 * @param {boolean} interviewer
 * @returns {string}
 */
export function changeText(before, state, reason, interviewer) {
  if (state === before) return "";
  if (state === "recording") return before === "paused" ? "Recording resumed." : "Recording started.";
  if (state === "paused") return "Recording paused: nothing is recorded until it is resumed.";
  if (state === "failed") {
    if (!interviewer) return "The interview is no longer being recorded.";
    return `${indicatorText(state, reason, true).replace(/[.!]+$/, "")}. The call goes on.`;
  }
  return before ? "Recording is off." : "";
}

export class RecordingStatus {
  /**
   * @param {object} parts
   * @param {HTMLElement} parts.indicator #room-recording, with a .rec-text inside
   * @param {HTMLButtonElement} parts.button the Pause/Resume button (interviewers)
   * @param {(paused: boolean) => boolean} parts.send sends `recording`; false when not connected
   * @param {(text: string) => void} parts.announce to the live region
   * @param {(text: string) => void} parts.onProblem shows a visible notice
   * @param {RecordingState} parts.initial what the page was rendered with
   */
  constructor({ indicator, button, send, announce, onProblem, initial }) {
    this.indicator = indicator;
    this.text = /** @type {HTMLElement} */ (indicator.querySelector(".rec-text"));
    this.button = button;
    this.sendControl = send;
    this.announce = announce;
    this.onProblem = onProblem;
    /** @type {RecordingState} */
    this.state = initial;
    this.reason = "";
    this.interviewer = false;
    this.known = false; // until the server has told us, changes are not announced
    /** @type {ReturnType<typeof setTimeout>|null} */
    this.busyTimer = null;
    button.addEventListener("click", () => this.#toggle());
    this.#render();
  }

  /** @param {boolean} interviewer */
  setRole(interviewer) {
    this.interviewer = interviewer;
    this.#render();
  }

  /**
   * The server's word on the state (welcome or a `recording` message).
   * @param {unknown} value
   */
  update(value) {
    const next = recordingState(value);
    if (!next) return;
    const before = this.known ? this.state : null;
    const text = changeText(before, next.state, next.reason, this.interviewer);
    this.state = next.state;
    this.reason = next.reason;
    this.known = true;
    this.#idle();
    this.#render();
    if (text && before !== null) this.announce(text);
  }

  /** The server refused our pause/resume. @param {string} reason */
  refused(reason) {
    this.#idle();
    this.onProblem(reason);
  }

  #toggle() {
    if (this.button.getAttribute("aria-busy") === "true") return;
    const paused = this.state !== "paused";
    if (!this.sendControl(paused)) {
      this.onProblem("Not connected: the recording was not paused or resumed. Try again in a moment.");
      return;
    }
    // Not `disabled`, which would throw the keyboard focus off the button.
    this.button.setAttribute("aria-busy", "true");
    this.busyTimer = setTimeout(() => this.#idle(), ANSWER_WITHIN_MS);
  }

  #idle() {
    if (this.busyTimer) clearTimeout(this.busyTimer);
    this.busyTimer = null;
    this.button.removeAttribute("aria-busy");
  }

  #render() {
    const text = indicatorText(this.state, this.reason, this.interviewer);
    this.indicator.hidden = !text;
    this.indicator.dataset.state = this.state;
    this.text.textContent = text;
    const controllable = this.interviewer && (this.state === "recording" || this.state === "paused");
    this.button.hidden = !controllable;
    const paused = this.state === "paused";
    this.button.textContent = paused ? "Resume recording" : "Pause recording";
    this.button.classList.toggle("is-off", paused);
  }
}
