// The timeline's extras: filtering entries by group, and markers for notes, bookmarks and
// pauses on a bar under the video (for the mouse; the list itself is the accessible way).

export class TimelineFilter {
  /**
   * @param {HTMLFieldSetElement} fieldset checkboxes named "show" whose values are groups
   * @param {HTMLElement} list entries carry data-group
   */
  constructor(fieldset, list) {
    this.fieldset = fieldset;
    this.list = list;
    fieldset.hidden = false;
    fieldset.addEventListener("change", () => this.apply());
    this.apply();
  }

  apply() {
    const shown = new Set(
      [...this.fieldset.querySelectorAll("input[name=show]:checked")].map((box) => /** @type {HTMLInputElement} */ (box).value),
    );
    for (const item of /** @type {NodeListOf<HTMLElement>} */ (this.list.querySelectorAll("[data-group]"))) {
      item.hidden = !shown.has(item.dataset.group ?? "");
    }
  }
}

/**
 * Put a marker on the bar for each note, bookmark and pause of the list.
 * @param {HTMLElement} bar
 * @param {HTMLElement} list
 * @param {number} duration seconds
 * @param {(seconds: number) => void} onSeek
 * @returns {number} how many markers
 */
export function placeMarkers(bar, list, duration, onSeek) {
  bar.replaceChildren();
  if (!(duration > 0)) return 0;
  for (const item of /** @type {NodeListOf<HTMLElement>} */ (list.querySelectorAll("[data-offset]"))) {
    const group = item.dataset.group;
    if (group !== "notes" && group !== "recording") continue;
    const offset = Number(item.dataset.offset);
    if (!Number.isFinite(offset)) continue;
    const marker = document.createElement("span");
    marker.className = `marker marker-${group}`;
    marker.title = item.querySelector(".entry-body")?.textContent?.replace(/\s+/g, " ").trim() ?? "";
    marker.style.left = `${Math.min(100, Math.max(0, (offset / duration) * 100))}%`;
    marker.addEventListener("click", () => onSeek(offset));
    bar.append(marker);
  }
  bar.hidden = bar.childElementCount === 0;
  return bar.childElementCount;
}
