// Time in the review video: "#t=" links, clock text, and seeking that waits for the metadata.

/**
 * Seconds from a "#t=" fragment: "#t=83.5", "#t=1:23.5", "#t=1:02:03", "t=10,20" (start only).
 * @param {string} hash
 * @returns {number|null} null when it is not a time
 */
export function parseTime(hash) {
  const match = /^#?t=(?:npt:)?([0-9:.]+)(?:,.*)?$/.exec(hash.trim());
  if (!match) return null;
  const parts = match[1].split(":");
  if (parts.length > 3 || parts.some((part) => !/^\d+(\.\d+)?$/.test(part))) return null;
  const seconds = parts.reduce((total, part) => total * 60 + Number(part), 0);
  return Number.isFinite(seconds) ? seconds : null;
}

/**
 * "4:05" or "1:02:03", whole seconds like the player's own display.
 * @param {number} seconds
 * @returns {string}
 */
export function formatClock(seconds) {
  const s = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const two = (/** @type {number} */ n) => String(n).padStart(2, "0");
  if (s >= 3600) return `${Math.floor(s / 3600)}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  return `${Math.floor(s / 60)}:${two(s % 60)}`;
}

/**
 * "2 minutes 5 seconds": how a screen reader should say a position.
 * @param {number} seconds
 * @returns {string}
 */
export function spokenTime(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [];
  if (h) parts.push(`${h} ${h === 1 ? "hour" : "hours"}`);
  if (m) parts.push(`${m} ${m === 1 ? "minute" : "minutes"}`);
  if (s % 60 || parts.length === 0) parts.push(`${s % 60} ${s % 60 === 1 ? "second" : "seconds"}`);
  return parts.join(" ");
}

export class Player {
  /** @param {HTMLVideoElement} video */
  constructor(video) {
    this.video = video;
  }

  /**
   * Jump to a moment; playing goes on if it was playing, a paused video stays paused.
   * @param {number} seconds
   * @returns {Promise<number>} where it went (clamped to the video)
   */
  async seek(seconds) {
    const video = this.video;
    if (video.readyState < HTMLMediaElement.HAVE_METADATA) {
      await new Promise((resolve) => video.addEventListener("loadedmetadata", resolve, { once: true }));
    }
    const end = Number.isFinite(video.duration) ? video.duration : Infinity;
    const target = Math.min(Math.max(0, seconds), end);
    video.currentTime = target;
    return target;
  }
}
