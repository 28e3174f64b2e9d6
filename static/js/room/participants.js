// The people panel: who is in the room, their state in words, and (for interviewers) who waits
// in the lobby with an "Admit" button.
import { el } from "./elements.js";
import { qualityBadge, showQuality } from "./tiles.js";

/** @typedef {import("./tiles.js").Participant} Participant */

const ROLE = { candidate: "Candidate", interviewer: "Interviewer" };

/**
 * Words for a participant's state, e.g. "Muted, camera off".
 * @param {Participant} p
 * @returns {string}
 */
export function stateText(p) {
  const parts = [];
  if (p.connection === "reconnecting") parts.push("reconnecting…");
  if (p.audio === false) parts.push("muted");
  if (p.video === false) parts.push("camera off");
  if (p.screen) parts.push("sharing screen");
  const text = parts.join(", ");
  return text ? text[0].toUpperCase() + text.slice(1) : "";
}

export class ParticipantList {
  /**
   * @param {HTMLElement} list a <ul>
   * @param {HTMLElement} count where the number of people goes
   */
  constructor(list, count) {
    this.list = list;
    this.count = count;
  }

  /**
   * @param {Participant[]} people including yourself
   * @param {string|null} selfId
   */
  render(people, selfId) {
    this.count.textContent = String(people.length);
    this.list.replaceChildren(
      ...people.map((p) => {
        const badge = qualityBadge();
        showQuality(badge, p.quality);
        const state = stateText(p);
        return el(
          "li",
          { class: "person", dataset: { participant: p.id } },
          el("span", { class: "person-name" }, p.id === selfId ? `${p.name} (you)` : p.name),
          el("span", { class: "person-role muted" }, ROLE[p.role ?? "candidate"] ?? ""),
          state ? el("span", { class: "person-state" }, state) : null,
          badge,
        );
      }),
    );
  }
}

export class Lobby {
  /**
   * @param {HTMLElement} section shown only while someone waits
   * @param {HTMLElement} list a <ul>
   * @param {(id: string) => boolean} onAdmit sends `admit`; false when not connected
   */
  constructor(section, list, onAdmit) {
    this.section = section;
    this.list = list;
    this.onAdmit = onAdmit;
    /** @type {Participant[]} */
    this.waiting = [];
  }

  /**
   * @param {Participant[]} waiting
   * @returns {Participant[]} those who were not waiting before (to announce them)
   */
  render(waiting) {
    const before = new Set(this.waiting.map((p) => p.id));
    this.waiting = waiting;
    this.section.hidden = waiting.length === 0;
    this.list.replaceChildren(
      ...waiting.map((p) => {
        const admit = el("button", { type: "button", class: "small primary" }, "Admit");
        admit.setAttribute("aria-label", `Admit ${p.name}`);
        admit.addEventListener("click", () => {
          if (this.onAdmit(p.id)) {
            admit.disabled = true;
            admit.textContent = "Admitting…";
          }
        });
        return el("li", { class: "person", dataset: { participant: p.id } }, el("span", { class: "person-name" }, p.name), admit);
      }),
    );
    return waiting.filter((p) => !before.has(p.id));
  }
}
