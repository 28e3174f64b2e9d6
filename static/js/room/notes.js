// The interviewers' notes panel (docs/signaling.md: `note`): timestamped notes and bookmarks
// that only interviewers see. The server stamps each note; the author's own copy coming back
// is the confirmation that it was saved.
import { el } from "./elements.js";

/**
 * @typedef {object} Note
 * @property {string} [id]
 * @property {{id: string, name: string}} from
 * @property {string} text
 * @property {boolean} [bookmark]
 * @property {string} [at] ISO 8601
 */

const MAX_LENGTH = 2000;
export const BOOKMARK_TEXT = "Bookmark";

/**
 * "14:02:31" in the viewer's own zone: notes mark moments, so seconds matter.
 * @param {string|undefined} at
 * @returns {string}
 */
export function noteTime(at) {
  const moment = at ? new Date(at) : new Date();
  if (Number.isNaN(moment.getTime())) return "";
  return moment.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export class Notes {
  /**
   * @param {object} parts
   * @param {HTMLElement} parts.panel the whole section (hidden unless you are an interviewer)
   * @param {HTMLElement} parts.list an <ol>
   * @param {HTMLElement} parts.count where the number of notes goes
   * @param {HTMLFormElement} parts.form
   * @param {HTMLTextAreaElement} parts.input
   * @param {HTMLButtonElement} parts.bookmark "Bookmark this moment"
   * @param {HTMLButtonElement} parts.toggle shows/hides the body on small screens
   * @param {(note: {text: string, bookmark: boolean}) => boolean} parts.send false when not connected
   * @param {(text: string) => void} parts.announce
   * @param {(text: string) => void} parts.onProblem
   */
  constructor({ panel, list, count, form, input, bookmark, toggle, send, announce, onProblem }) {
    this.panel = panel;
    this.list = list;
    this.count = count;
    this.input = input;
    this.toggle = toggle;
    this.sendNote = send;
    this.announce = announce;
    this.onProblem = onProblem;
    /** @type {string|null} */
    this.selfId = null;
    /** @type {Set<string>} */
    this.seen = new Set();
    /** @type {string[]} texts sent and not yet confirmed, oldest first */
    this.pending = [];
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit(false);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.#submit(false);
      }
    });
    bookmark.addEventListener("click", () => this.#submit(true));
    toggle.addEventListener("click", () => this.#setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  }

  /** @param {boolean} visible */
  show(visible) {
    this.panel.hidden = !visible;
  }

  /**
   * Replace the list with the server's (welcome.notes, after a (re)join).
   * @param {unknown} notes
   */
  replace(notes) {
    this.seen.clear();
    this.list.replaceChildren();
    for (const note of Array.isArray(notes) ? notes : []) this.add(note, { quiet: true });
    this.#counted();
  }

  /**
   * One note from the server; duplicates by id are ignored.
   * @param {Note} note
   * @param {{quiet?: boolean}} [options]
   */
  add(note, { quiet = false } = {}) {
    if (!note?.from || typeof note.text !== "string") return;
    if (note.id) {
      if (this.seen.has(note.id)) return;
      this.seen.add(note.id);
    }
    const mine = note.from.id === this.selfId;
    this.list.append(this.#item(note, mine));
    this.list.scrollTop = this.list.scrollHeight;
    this.#counted();
    if (quiet) return;
    if (mine) {
      const index = this.pending.indexOf(note.text);
      if (index >= 0) this.pending.splice(index, 1);
      this.announce(note.bookmark ? `Bookmark saved at ${noteTime(note.at)}.` : "Note saved.");
    } else {
      this.announce(`${note.from.name} added a ${note.bookmark ? "bookmark" : "note"}.`);
    }
  }

  /** The server refused our oldest unconfirmed note. @param {string} reason */
  refused(reason) {
    const text = this.pending.shift();
    // Give the words back, unless something new was typed meanwhile.
    if (text && text !== BOOKMARK_TEXT && !this.input.value.trim()) this.input.value = text;
    this.onProblem(`The note was not saved: ${reason}`);
  }

  /** @param {boolean} bookmark */
  #submit(bookmark) {
    const typed = this.input.value.trim();
    if (!typed && !bookmark) {
      this.input.focus();
      this.announce("Type a note first.");
      return;
    }
    const text = typed || BOOKMARK_TEXT;
    if (text.length > MAX_LENGTH) {
      this.onProblem(`Notes can be at most ${MAX_LENGTH} characters.`);
      return;
    }
    if (!this.sendNote({ text, bookmark })) {
      this.onProblem("You are not connected right now, so the note was not saved. It is still in the box.");
      return;
    }
    this.pending.push(text);
    this.input.value = "";
  }

  /**
   * @param {Note} note
   * @param {boolean} mine
   */
  #item(note, mine) {
    const bookmark = Boolean(note.bookmark);
    const own = bookmark && note.text === BOOKMARK_TEXT ? null : note.text;
    return el(
      "li",
      { class: bookmark ? "note-item note-bookmark" : "note-item", dataset: { note: note.id ?? "" } },
      bookmark ? el("span", { class: "note-kind" }, "Bookmark") : null,
      el("time", { class: "note-time", datetime: note.at ?? new Date().toISOString() }, noteTime(note.at)),
      " ",
      el("span", { class: "note-from" }, mine ? "You" : note.from.name),
      own ? el("p", { class: "note-text" }, own) : null,
    );
  }

  #counted() {
    this.count.textContent = String(this.list.childElementCount);
  }

  /** @param {boolean} open */
  #setOpen(open) {
    this.panel.classList.toggle("is-open", open);
    this.toggle.setAttribute("aria-expanded", String(open));
    this.toggle.textContent = open ? "Hide notes" : "Show notes";
  }
}
