// A list whose entries carry data-offset (seconds into the video): the entry current at the
// playhead is marked (aria-current) and scrolled into view inside the list.

/**
 * Index of the last offset at or before `time`, or -1 (offsets ascending).
 * @param {number[]} offsets
 * @param {number} time
 * @returns {number}
 */
export function currentIndex(offsets, time) {
  // A seek lands a hair before or after the asked time; the entry asked for counts.
  const t = time + 0.05;
  let low = 0;
  let high = offsets.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (offsets[mid] <= t) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

export class PlayheadList {
  /** @param {HTMLElement} list */
  constructor(list) {
    this.list = list;
    this.entries = [...list.querySelectorAll("[data-offset]")]
      .map((item) => ({ item: /** @type {HTMLElement} */ (item), offset: Number(/** @type {HTMLElement} */ (item).dataset.offset) }))
      .filter((entry) => Number.isFinite(entry.offset))
      .sort((a, b) => a.offset - b.offset);
    this.offsets = this.entries.map((entry) => entry.offset);
    /** @type {HTMLElement|null} */
    this.current = null;
  }

  /** @param {number} time the playhead, in seconds */
  update(time) {
    const index = currentIndex(this.offsets, time);
    const item = index >= 0 ? this.entries[index].item : null;
    if (item === this.current) return;
    this.current?.classList.remove("is-current");
    this.current?.removeAttribute("aria-current");
    this.current = item;
    if (!item) return;
    item.classList.add("is-current");
    item.setAttribute("aria-current", "true");
    this.#reveal(item);
  }

  /** Scroll the list (never the page) so the item shows, unless someone is reading the list. @param {HTMLElement} item */
  #reveal(item) {
    if (this.list.matches(":hover, :focus-within") || item.hidden) return;
    const box = this.list.getBoundingClientRect();
    const at = item.getBoundingClientRect();
    if (at.top >= box.top && at.bottom <= box.bottom) return;
    const top = this.list.scrollTop + (at.top - box.top) - (box.height - at.height) / 2;
    const smooth = !matchMedia("(prefers-reduced-motion: reduce)").matches;
    this.list.scrollTo({ top: Math.max(0, top), behavior: smooth ? "smooth" : "auto" });
  }
}
