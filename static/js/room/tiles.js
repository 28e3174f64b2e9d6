// Video tiles: one per participant (camera or an avatar), a large one per screen share, and a
// hidden <audio> element per remote microphone.
import { el, initials } from "./elements.js";

/**
 * @typedef {object} Participant
 * @property {string} id
 * @property {string} name
 * @property {"candidate"|"interviewer"} [role]
 * @property {boolean} [audio]
 * @property {boolean} [video]
 * @property {boolean} [screen]
 * @property {string} [connection] "connected" or "reconnecting"
 * @property {string|{level?: string}|null} [quality] "good", "fair" or "poor"
 */

/**
 * The quality level of a participant object, whichever shape the server uses.
 * @param {Participant["quality"]} quality
 * @returns {"good"|"fair"|"poor"|null}
 */
export function qualityOf(quality) {
  const level = typeof quality === "string" ? quality : quality?.level;
  return level === "good" || level === "fair" || level === "poor" ? level : null;
}

const QUALITY_TEXT = { good: "Connection good", fair: "Connection fair", poor: "Connection poor" };

/**
 * A small three-bar connection indicator with a text alternative.
 * @returns {HTMLElement}
 */
export function qualityBadge() {
  return el("span", { class: "quality", role: "img", hidden: true }, el("i"), el("i"), el("i"));
}

/**
 * @param {HTMLElement} badge
 * @param {Participant["quality"]} quality
 */
export function showQuality(badge, quality) {
  const level = qualityOf(quality);
  badge.hidden = !level;
  if (!level) return;
  badge.dataset.level = level;
  badge.setAttribute("aria-label", QUALITY_TEXT[level]);
  badge.title = QUALITY_TEXT[level];
}

/**
 * @param {MediaStreamTrack|null} track
 * @returns {MediaStream|null}
 */
function streamOf(track) {
  return track ? new MediaStream([track]) : null;
}

class Tile {
  /**
   * @param {string} id
   * @param {boolean} self
   */
  constructor(id, self) {
    this.id = id;
    this.self = self;
    /** @type {MediaStreamTrack|null} */
    this.track = null;
    /** @type {Participant|null} */
    this.participant = null;
    this.video = /** @type {HTMLVideoElement} */ (el("video", { playsinline: true, autoplay: true, muted: true }));
    this.video.muted = true; // audio plays through its own element
    this.avatar = el("div", { class: "tile-avatar", "aria-hidden": "true" });
    this.name = el("span", { class: "tile-name" });
    this.muted = el("span", { class: "flag flag-muted", hidden: true }, "Muted");
    this.reconnecting = el("span", { class: "flag flag-reconnecting", hidden: true }, "Reconnecting…");
    this.quality = qualityBadge();
    this.root = el(
      "figure",
      { class: self ? "tile tile-self" : "tile", dataset: { participant: id } },
      el("div", { class: "tile-media" }, this.video, this.avatar),
      el("figcaption", { class: "tile-caption" }, this.name, this.muted, this.reconnecting, this.quality),
    );
    this.onTrackChange = () => this.render();
  }

  /** @param {MediaStreamTrack|null} track */
  setTrack(track) {
    if (track === this.track) return;
    this.track?.removeEventListener("mute", this.onTrackChange);
    this.track?.removeEventListener("unmute", this.onTrackChange);
    this.track = track;
    track?.addEventListener("mute", this.onTrackChange);
    track?.addEventListener("unmute", this.onTrackChange);
    this.video.srcObject = streamOf(track);
    if (track) this.video.play().catch(() => {}); // muted video may always autoplay
    this.render();
  }

  /** @param {Participant} participant */
  update(participant) {
    this.participant = participant;
    this.render();
  }

  render() {
    const p = this.participant;
    const name = p?.name ?? "";
    this.name.textContent = this.self ? `${name} (you)` : name;
    this.avatar.textContent = initials(name);
    this.muted.hidden = p?.audio !== false;
    this.reconnecting.hidden = p?.connection !== "reconnecting";
    this.root.classList.toggle("is-reconnecting", p?.connection === "reconnecting");
    showQuality(this.quality, p?.quality);
    // Local tracks are never "muted" in the remote sense; remote ones are until packets flow.
    const flowing = Boolean(this.track && this.track.readyState === "live" && (this.self || !this.track.muted));
    const showVideo = flowing && p?.video !== false;
    this.root.classList.toggle("has-video", showVideo);
    const state = [p?.audio === false ? "microphone off" : null, p?.video === false ? "camera off" : null]
      .filter(Boolean)
      .join(", ");
    this.root.setAttribute("aria-label", `${this.self ? `${name} (you)` : name}${state ? `, ${state}` : ""}`);
  }
}

export class Tiles {
  /**
   * @param {HTMLElement} stage where tiles go
   * @param {HTMLElement} audioBox a hidden container for remote <audio> elements
   * @param {{onAudioBlocked?: () => void}} [options] called when the browser refuses to play sound
   */
  constructor(stage, audioBox, { onAudioBlocked = () => {} } = {}) {
    this.stage = stage;
    this.audioBox = audioBox;
    this.onAudioBlocked = onAudioBlocked;
    /** @type {Map<string, Tile>} */
    this.tiles = new Map();
    /** @type {Map<string, {root: HTMLElement, video: HTMLVideoElement}>} */
    this.screens = new Map();
    /** @type {Map<string, HTMLAudioElement>} */
    this.audio = new Map();
    /** @type {string|null} */
    this.sinkId = null;
  }

  /**
   * Create or update a participant's tile.
   * @param {Participant} participant
   * @param {{self?: boolean}} [options]
   */
  upsert(participant, { self = false } = {}) {
    let tile = this.tiles.get(participant.id);
    if (!tile) {
      tile = new Tile(participant.id, self);
      this.tiles.set(participant.id, tile);
      if (self) this.stage.prepend(tile.root);
      else this.stage.append(tile.root);
    }
    tile.update(participant);
    const screen = this.screens.get(participant.id);
    if (screen) screen.root.querySelector("figcaption").textContent = screenTitle(participant.name, self);
  }

  /**
   * @param {string} id
   * @param {MediaStreamTrack|null} track
   */
  setCamera(id, track) {
    this.tiles.get(id)?.setTrack(track);
  }

  /**
   * Show (or remove, with null) a participant's screen share, large.
   * @param {string} id
   * @param {MediaStreamTrack|null} track
   */
  setScreen(id, track) {
    let screen = this.screens.get(id);
    if (!track) {
      screen?.root.remove();
      this.screens.delete(id);
      this.#layout();
      return;
    }
    const tile = this.tiles.get(id);
    if (!screen) {
      const video = /** @type {HTMLVideoElement} */ (el("video", { playsinline: true, autoplay: true, muted: true }));
      video.muted = true;
      const root = el(
        "figure",
        { class: tile?.self ? "tile tile-screen tile-screen-self" : "tile tile-screen", dataset: { screen: id } },
        el("div", { class: "tile-media" }, video),
        el("figcaption", { class: "tile-caption" }, screenTitle(tile?.participant?.name ?? "", Boolean(tile?.self))),
      );
      screen = { root, video };
      this.screens.set(id, screen);
    }
    if (!(screen.video.srcObject instanceof MediaStream) || screen.video.srcObject.getTracks()[0] !== track) {
      screen.video.srcObject = new MediaStream([track]);
      screen.video.play().catch(() => {});
    }
    this.#layout();
  }

  /**
   * Play (or stop) a participant's microphone.
   * @param {string} id
   * @param {MediaStreamTrack|null} track
   */
  setAudio(id, track) {
    let audio = this.audio.get(id);
    if (!track) {
      if (audio) {
        audio.srcObject = null;
        audio.remove();
        this.audio.delete(id);
      }
      return;
    }
    if (!audio) {
      audio = /** @type {HTMLAudioElement} */ (el("audio", { autoplay: true, dataset: { participant: id } }));
      this.audio.set(id, audio);
      this.audioBox.append(audio);
      if (this.sinkId) this.#applySink(audio);
    }
    const current = audio.srcObject instanceof MediaStream ? audio.srcObject.getTracks()[0] : null;
    if (current !== track) {
      audio.srcObject = new MediaStream([track]);
      this.#play(audio);
    }
  }

  /**
   * @param {string} id
   */
  remove(id) {
    this.tiles.get(id)?.setTrack(null);
    this.tiles.get(id)?.root.remove();
    this.tiles.delete(id);
    this.setScreen(id, null);
    this.setAudio(id, null);
  }

  /** Remove everyone but `keep`. @param {Set<string>} keep */
  retain(keep) {
    for (const id of [...this.tiles.keys()]) if (!keep.has(id)) this.remove(id);
  }

  /** @param {string|null} id */
  setSpeaker(id) {
    for (const [tileId, tile] of this.tiles) tile.root.classList.toggle("is-speaking", tileId === id);
  }

  /**
   * Route all remote audio to this output device (where the browser supports it).
   * @param {string} deviceId
   */
  setSink(deviceId) {
    this.sinkId = deviceId;
    for (const audio of this.audio.values()) this.#applySink(audio);
  }

  /** Try again to start sound (call from a click, which browsers accept as permission). */
  resumeAudio() {
    for (const audio of this.audio.values()) this.#play(audio);
  }

  /** The current tracks of a tile, for tests and stats. @param {string} id */
  cameraTrack(id) {
    return this.tiles.get(id)?.track ?? null;
  }

  clear() {
    for (const id of [...this.tiles.keys()]) this.remove(id);
  }

  #layout() {
    for (const screen of this.screens.values()) {
      if (screen.root.parentElement !== this.stage) this.stage.prepend(screen.root);
    }
    this.stage.classList.toggle("has-screen", this.screens.size > 0);
  }

  /** @param {HTMLAudioElement} audio */
  #play(audio) {
    audio.play().catch((error) => {
      if (error?.name === "NotAllowedError") this.onAudioBlocked();
    });
  }

  /** @param {HTMLAudioElement} audio */
  #applySink(audio) {
    const sinkable = /** @type {HTMLAudioElement & {setSinkId?: (id: string) => Promise<void>}} */ (audio);
    if (!this.sinkId || !sinkable.setSinkId) return;
    sinkable.setSinkId(this.sinkId).catch((error) => console.warn("speaker selection failed", error));
  }
}

/**
 * @param {string} name
 * @param {boolean} self
 */
function screenTitle(name, self) {
  return self ? "Your shared screen" : `${name}’s screen`;
}
