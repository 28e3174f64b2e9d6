// Who is speaking, from audio levels, for when the server does not say (`speaking` messages).
import { levelFromRms } from "./meter.js";

/**
 * A remote microphone's current level on the meter's 0..1 scale, or null if unknown.
 * @param {RTCRtpReceiver} receiver
 * @returns {number|null}
 */
export function receiverLevel(receiver) {
  const audioLevel = receiver.getSynchronizationSources?.()[0]?.audioLevel;
  // audioLevel is linear like an RMS amplitude, so it maps onto the same scale.
  return typeof audioLevel === "number" ? levelFromRms(audioLevel) : null;
}

export class ActiveSpeaker {
  /**
   * @param {{threshold?: number, holdMs?: number, now?: () => number}} [options]
   */
  constructor({ threshold = 0.45, holdMs = 1500, now = () => performance.now() } = {}) {
    this.threshold = threshold;
    this.holdMs = holdMs;
    this.now = now;
    /** @type {string|null} */
    this.current = null;
    this.since = -Infinity;
  }

  /**
   * The loudest voice above the threshold; silence keeps the last speaker for a moment so
   * the highlight does not flicker between words.
   * @param {Iterable<[string, number]>} levels participant id -> level 0..1
   * @returns {string|null}
   */
  update(levels) {
    let loudest = null;
    let top = this.threshold;
    for (const [id, level] of levels) {
      if (level > top) {
        loudest = id;
        top = level;
      }
    }
    const now = this.now();
    if (loudest === null && now - this.since < this.holdMs) return this.current;
    if (loudest !== this.current) this.current = loudest;
    if (loudest !== null) this.since = now;
    return this.current;
  }
}
