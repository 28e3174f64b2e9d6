// Text chat: a log that screen readers announce (role="log"), and a form that respects the
// server's pace (one message per 0.5 s).
import { el } from "./elements.js";

/**
 * @typedef {object} ChatMessage
 * @property {string} [id]
 * @property {{id: string, name: string}} from
 * @property {string} text
 * @property {string} [at] ISO 8601
 */

const MAX_LENGTH = 2000;
const MIN_GAP_MS = 600;

/**
 * "14:02" in the viewer's own zone.
 * @param {string|undefined} at
 * @returns {string}
 */
export function clockTime(at) {
  const moment = at ? new Date(at) : new Date();
  if (Number.isNaN(moment.getTime())) return "";
  return moment.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export class Chat {
  /**
   * @param {object} parts
   * @param {HTMLElement} parts.log an <ol role="log">
   * @param {HTMLFormElement} parts.form
   * @param {HTMLInputElement|HTMLTextAreaElement} parts.input
   * @param {(text: string) => boolean} parts.send sends `chat`; false when not connected
   * @param {(text: string) => void} parts.onProblem shows why a message was not sent
   */
  constructor({ log, form, input, send, onProblem }) {
    this.log = log;
    this.form = form;
    this.input = input;
    this.send = send;
    this.onProblem = onProblem;
    /** @type {string|null} */
    this.selfId = null;
    /** @type {Set<string>} */
    this.seen = new Set();
    /** @type {HTMLElement[]} our messages the server has not echoed yet */
    this.pending = [];
    this.lastSent = 0;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
  }

  /**
   * Show one message from the server (duplicates by id are ignored).
   * @param {ChatMessage} message
   */
  add(message) {
    if (!message?.from || typeof message.text !== "string") return;
    if (message.id) {
      if (this.seen.has(message.id)) return;
      this.seen.add(message.id);
    }
    if (message.from.id === this.selfId) {
      // The server's copy of a message we already show: confirm it in place.
      const index = this.pending.findIndex((item) => item.dataset.text === message.text);
      if (index >= 0) {
        const [item] = this.pending.splice(index, 1);
        item.replaceWith(this.#item(message, true));
        return;
      }
    }
    this.log.append(this.#item(message, message.from.id === this.selfId));
    this.#scroll();
  }

  /**
   * Replace the log with the server's recent history (after a (re)join).
   * @param {ChatMessage[]} history
   */
  replace(history) {
    const unconfirmed = this.pending;
    this.pending = [];
    this.seen.clear();
    this.log.replaceChildren();
    for (const message of Array.isArray(history) ? history : []) this.add(message);
    for (const item of unconfirmed) {
      item.classList.add("chat-failed");
      item.querySelector(".chat-note")?.replaceChildren("Not sent (connection lost)");
      this.log.append(item);
    }
  }

  /** The server refused our last chat message. @param {string} reason */
  refused(reason) {
    const item = this.pending.shift();
    if (!item) return;
    item.classList.add("chat-failed");
    item.querySelector(".chat-note")?.replaceChildren(`Not sent: ${reason}`);
  }

  #submit() {
    const text = this.input.value.trim();
    if (!text) return;
    if (text.length > MAX_LENGTH) {
      this.onProblem(`Messages can be at most ${MAX_LENGTH} characters.`);
      return;
    }
    const now = performance.now();
    if (now - this.lastSent < MIN_GAP_MS) {
      setTimeout(() => this.#submit(), MIN_GAP_MS - (now - this.lastSent));
      return;
    }
    if (!this.send(text)) {
      this.onProblem("You are not connected right now, so the message was not sent. It is still in the box.");
      return;
    }
    this.lastSent = now;
    this.input.value = "";
    const item = this.#item({ from: { id: this.selfId ?? "", name: "You" }, text }, true);
    item.classList.add("chat-pending");
    item.dataset.text = text;
    this.pending.push(item);
    this.log.append(item);
    this.#scroll();
  }

  /**
   * @param {ChatMessage} message
   * @param {boolean} mine
   */
  #item(message, mine) {
    return el(
      "li",
      { class: mine ? "chat-message chat-mine" : "chat-message" },
      el("span", { class: "chat-from" }, mine ? "You" : message.from.name),
      " ",
      el("time", { class: "chat-time muted", datetime: message.at ?? new Date().toISOString() }, clockTime(message.at)),
      el("p", { class: "chat-text" }, message.text),
      el("span", { class: "chat-note muted" }),
    );
  }

  #scroll() {
    this.log.scrollTop = this.log.scrollHeight;
  }
}
