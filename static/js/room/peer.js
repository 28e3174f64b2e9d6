// The participant's one RTCPeerConnection to the server. The server always offers
// (docs/signaling.md): three receive slots for our microphone, camera and screen share, which
// we fill with replaceTrack, and one send slot per track of every other participant, which the
// offer's `tracks` list maps (by mid) to a participant and a source.
import { summarise } from "./stats.js";

/** @typedef {"microphone"|"camera"|"screen"} Source */
/** @typedef {{mid: string, participant: string, source: Source}} TrackEntry */
/**
 * @typedef {object} RemoteTrack
 * @property {string} mid
 * @property {string} participant
 * @property {Source} source
 * @property {MediaStreamTrack} track
 * @property {RTCRtpReceiver} receiver
 */

/** @type {ReadonlyArray<[Source, "audio"|"video"]>} */
const SLOTS = [
  ["microphone", "audio"],
  ["camera", "video"],
  ["screen", "video"],
];
const SOURCES = new Set(["microphone", "camera", "screen"]);

/**
 * The valid entries of an offer's `tracks` list.
 * @param {unknown} tracks
 * @returns {TrackEntry[]}
 */
export function trackEntries(tracks) {
  if (!Array.isArray(tracks)) return [];
  return tracks.filter(
    (entry) =>
      entry &&
      typeof entry.mid === "string" &&
      typeof entry.participant === "string" &&
      SOURCES.has(entry.source),
  );
}

/**
 * Which of the offered transceivers are our receive slots: those the `tracks` list does not
 * claim, the first audio one for the microphone and the first two video ones for camera and
 * screen (the order the server offers them in).
 * @param {{mid: string|null, kind: string}[]} transceivers in m-line order
 * @param {Set<string>} listedMids
 * @returns {Map<Source, number>} source -> index into `transceivers`
 */
export function slotIndexes(transceivers, listedMids) {
  /** @type {Map<Source, number>} */
  const slots = new Map();
  const taken = new Set();
  for (const [source, kind] of SLOTS) {
    const index = transceivers.findIndex(
      (t, i) => !taken.has(i) && t.mid !== null && !listedMids.has(t.mid) && t.kind === kind,
    );
    if (index >= 0) {
      slots.set(source, index);
      taken.add(index);
    }
  }
  return slots;
}

export class Peer {
  /**
   * @param {object} options
   * @param {RTCIceServer[]} options.iceServers exactly as the server handed them out
   * @param {(message: object) => boolean|void} options.send sends a signaling message
   * @param {(tracks: RemoteTrack[]) => void} [options.onRemoteTracks] after every answered offer
   * @param {(state: string) => void} [options.onState] connection state changes
   */
  constructor({ iceServers, send, onRemoteTracks = () => {}, onState = () => {} }) {
    this.pc = new RTCPeerConnection({ iceServers });
    this.send = send;
    this.onRemoteTracks = onRemoteTracks;
    this.onState = onState;
    /** @type {Record<Source, MediaStreamTrack|null>} */
    this.local = { microphone: null, camera: null, screen: null };
    /** @type {Map<Source, RTCRtpTransceiver>|null} */
    this.slots = null;
    /** @type {Map<string, RemoteTrack>} */
    this.remote = new Map();
    /** @type {Promise<void>} */
    this.queue = Promise.resolve();
    this.answered = false;
    /** @type {object[]} */
    this.earlyCandidates = [];
    this.endSent = false;
    this.closed = false;
    this.state = "new";

    this.pc.addEventListener("icecandidate", (event) => this.#candidate(event.candidate));
    const report = () => {
      // Firefox before 113 has no connectionState; ICE state is close enough there.
      const state = this.pc.connectionState ?? mapIceState(this.pc.iceConnectionState);
      if (state !== this.state) {
        this.state = state;
        this.onState(state);
      }
    };
    this.pc.addEventListener("connectionstatechange", report);
    this.pc.addEventListener("iceconnectionstatechange", report);
  }

  /**
   * Answer a server offer. Offers are answered one at a time, in arrival order.
   * @param {{sdp: string, tracks?: unknown}} offer
   * @returns {Promise<void>}
   */
  handleOffer(offer) {
    const run = () => this.#answer(offer);
    this.queue = this.queue.then(run, run);
    return this.queue;
  }

  /**
   * A candidate trickled by the server (the protocol does not list one; accepted if it comes).
   * @param {{candidate: string, sdpMid?: string|null, sdpMLineIndex?: number|null}} message
   */
  async addCandidate(message) {
    if (this.closed || !this.pc.remoteDescription) return;
    try {
      await this.pc.addIceCandidate(
        message.candidate
          ? { candidate: message.candidate, sdpMid: message.sdpMid ?? null, sdpMLineIndex: message.sdpMLineIndex ?? null }
          : null,
      );
    } catch (error) {
      console.warn("peer: server candidate refused", error);
    }
  }

  /**
   * Publish a local track into our receive slot for `source` (or stop publishing with null).
   * No renegotiation: the slot exists from the first offer on.
   * @param {Source} source
   * @param {MediaStreamTrack|null} track
   * @returns {Promise<void>}
   */
  async setLocalTrack(source, track) {
    this.local[source] = track;
    const transceiver = this.slots?.get(source);
    if (!transceiver || this.closed || transceiver.currentDirection === "stopped") return;
    await transceiver.sender.replaceTrack(track);
  }

  /**
   * The receiver for a remote mid, if it is currently mapped.
   * @param {string} mid
   * @returns {RemoteTrack|undefined}
   */
  remoteByMid(mid) {
    return this.remote.get(mid);
  }

  /** @returns {Promise<import("./stats.js").PathStats>} */
  async stats() {
    return summarise(await this.pc.getStats());
  }

  /**
   * Resolve when ICE and DTLS are up; reject when they fail or time runs out.
   * @param {number} timeoutMs
   * @returns {Promise<void>}
   */
  connected(timeoutMs) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.state === "connected") finish(null);
        else if (this.state === "failed" || this.state === "closed") finish(new Error(this.state));
      };
      const timer = setTimeout(() => finish(new Error("timeout")), timeoutMs);
      /** @param {Error|null} error */
      const finish = (error) => {
        clearTimeout(timer);
        this.pc.removeEventListener("connectionstatechange", check);
        this.pc.removeEventListener("iceconnectionstatechange", check);
        if (error) reject(error);
        else resolve();
      };
      this.pc.addEventListener("connectionstatechange", check);
      this.pc.addEventListener("iceconnectionstatechange", check);
      queueMicrotask(check);
    });
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.pc.close();
    this.remote.clear();
  }

  /** @param {{sdp: string, tracks?: unknown}} offer */
  async #answer({ sdp, tracks }) {
    if (this.closed) return;
    const entries = trackEntries(tracks);
    const listed = new Map(entries.map((entry) => [entry.mid, entry]));
    try {
      await this.pc.setRemoteDescription({ type: "offer", sdp });
      this.#assignSlots(new Set(listed.keys()));
      for (const [source, transceiver] of this.slots ?? []) {
        if (transceiver.currentDirection === "stopped") continue;
        transceiver.direction = "sendonly"; // the server only receives on these
        await transceiver.sender.replaceTrack(this.local[source]);
      }
      await this.pc.setLocalDescription(await this.pc.createAnswer());
    } catch (error) {
      if (this.closed) return;
      console.error("peer: could not answer the offer", error);
      throw error;
    }
    if (this.closed || !this.pc.localDescription) return;
    this.send({ type: "answer", sdp: this.pc.localDescription.sdp });
    this.answered = true;
    for (const message of this.earlyCandidates.splice(0)) this.send(message);
    this.#mapRemote(listed);
  }

  /** @param {Set<string>} listedMids */
  #assignSlots(listedMids) {
    if (this.slots) return;
    const transceivers = this.pc.getTransceivers();
    const indexes = slotIndexes(
      transceivers.map((t) => ({ mid: t.mid, kind: t.receiver.track.kind })),
      listedMids,
    );
    this.slots = new Map([...indexes].map(([source, index]) => [source, transceivers[index]]));
    if (this.slots.size < SLOTS.length) {
      console.warn(`peer: the offer has ${this.slots.size} of 3 receive slots`);
    }
  }

  /** @param {Map<string, TrackEntry>} listed */
  #mapRemote(listed) {
    /** @type {Map<string, RemoteTrack>} */
    const next = new Map();
    for (const transceiver of this.pc.getTransceivers()) {
      const entry = transceiver.mid === null ? undefined : listed.get(transceiver.mid);
      if (!entry) continue;
      if (transceiver.currentDirection === "stopped" || transceiver.currentDirection === "inactive") continue;
      next.set(entry.mid, { ...entry, track: transceiver.receiver.track, receiver: transceiver.receiver });
    }
    this.remote = next;
    this.onRemoteTracks([...next.values()]);
  }

  /** @param {RTCIceCandidate|null} candidate */
  #candidate(candidate) {
    if (this.closed) return;
    let message;
    if (!candidate || !candidate.candidate) {
      if (this.endSent) return;
      this.endSent = true;
      // End of candidates for the (bundled) transport: name its first m-line, since a
      // server may insist on sdpMid or sdpMLineIndex even here.
      const first = this.pc.getTransceivers().find((t) => t.mid !== null);
      message = { type: "candidate", candidate: "" };
      if (first?.mid) {
        message.sdpMid = first.mid;
        message.sdpMLineIndex = 0;
      }
    } else {
      message = { type: "candidate", candidate: candidate.candidate };
      if (candidate.sdpMid !== null && candidate.sdpMid !== undefined) message.sdpMid = candidate.sdpMid;
      if (typeof candidate.sdpMLineIndex === "number") message.sdpMLineIndex = candidate.sdpMLineIndex;
    }
    if (this.answered) this.send(message);
    else this.earlyCandidates.push(message);
  }
}

/** @param {RTCIceConnectionState} state */
function mapIceState(state) {
  if (state === "completed") return "connected";
  if (state === "checking") return "connecting";
  return state;
}
