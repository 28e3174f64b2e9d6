// While the recording is being made or composed: ask the server how far it is, show the
// progress, and reload once the status changes (ready, failed...).

/**
 * @typedef {object} StatusReport
 * @property {string} status recording | processing | ready | failed | deleted | expired
 * @property {number} [progress] 0..1 while processing
 */

export class StatusPoller {
  /**
   * @param {object} options
   * @param {string} options.url answers StatusReport as JSON
   * @param {string} options.current the status the page was rendered with
   * @param {(progress: number) => void} options.onProgress
   * @param {(report: StatusReport) => void} options.onChange
   * @param {number} [options.everyMs]
   * @param {number} [options.afterErrorMs] a failing endpoint is asked less often
   */
  constructor({ url, current, onProgress, onChange, everyMs = 3000, afterErrorMs = 15000 }) {
    this.url = url;
    this.current = current;
    this.onProgress = onProgress;
    this.onChange = onChange;
    this.everyMs = everyMs;
    this.afterErrorMs = afterErrorMs;
    /** @type {ReturnType<typeof setTimeout>|null} */
    this.timer = null;
    this.stopped = false;
  }

  start() {
    this.#schedule(this.everyMs);
  }

  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** @param {number} delay */
  #schedule(delay) {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.#poll(), delay);
  }

  async #poll() {
    /** @type {StatusReport} */
    let report;
    try {
      const response = await fetch(this.url, {
        headers: { Accept: "application/json" },
        cache: "no-store",
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`status ${response.status}`);
      report = await response.json();
      if (typeof report?.status !== "string") throw new Error("no status in the answer");
    } catch (error) {
      console.warn("review: status check failed", error);
      this.#schedule(this.afterErrorMs);
      return;
    }
    if (report.status !== this.current) {
      this.stop();
      this.onChange(report);
      return;
    }
    if (typeof report.progress === "number") this.onProgress(Math.min(1, Math.max(0, report.progress)));
    this.#schedule(this.everyMs);
  }
}
