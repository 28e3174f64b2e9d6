// The pre-join connectivity check: is the signaling server reachable (and how far away), and
// does a WebRTC connection to our server carry media? In probe mode (`?probe=1`) the server
// offers like in the room, with one send slot that echoes our own camera back.
import { Peer } from "./peer.js";
import { Signaling, socketUrl } from "./signaling.js";
import { framesDecoded } from "./stats.js";

/**
 * @typedef {"pending"|"running"|"ok"|"warn"|"fail"} CheckStatus
 * @typedef {{status: CheckStatus, summary: string, advice?: string}} CheckLine
 * @typedef {{signaling: CheckLine, media: CheckLine, details: ProbeDetails}} ProbeReport
 * @typedef {object} ProbeDetails
 * @property {number|null} signalingRttMs
 * @property {boolean} iceConnected
 * @property {number} framesDecoded frames decoded from the echo of our camera
 * @property {number|null} mediaRttMs the selected candidate pair's currentRoundTripTime
 * @property {boolean|null} relayed whether the selected pair goes through TURN
 * @property {boolean} turnConfigured whether the server handed out a TURN server
 */

const SLOW_MS = 400;

/**
 * Whether the ICE server list includes a TURN server.
 * @param {RTCIceServer[]} servers
 * @returns {boolean}
 */
export function hasTurn(servers) {
  return servers.some((server) =>
    [server.urls].flat().some((url) => typeof url === "string" && /^turns?:/i.test(url)),
  );
}

/**
 * @param {number} ms
 * @returns {string}
 */
export function formatMs(ms) {
  return `${Math.max(1, Math.round(ms))} ms`;
}

export class ConnectivityCheck {
  /**
   * @param {object} options
   * @param {string} options.wsUrl the participant's socket URL, as the page was given it
   * @param {RTCIceServer[]} options.iceServers
   * @param {MediaStreamTrack|null} options.cameraTrack echoed back by the server when present
   * @param {(report: ProbeReport) => void} options.onUpdate called on every step
   */
  constructor({ wsUrl, iceServers, cameraTrack, onUpdate }) {
    this.wsUrl = wsUrl;
    this.iceServers = iceServers;
    this.camera = cameraTrack ? cameraTrack.clone() : null;
    this.onUpdate = onUpdate;
    /** @type {ProbeReport} */
    this.report = {
      signaling: { status: "pending", summary: "Waiting to start." },
      media: { status: "pending", summary: "Waiting to start." },
      details: {
        signalingRttMs: null,
        iceConnected: false,
        framesDecoded: 0,
        mediaRttMs: null,
        relayed: null,
        turnConfigured: hasTurn(iceServers),
      },
    };
    /** @type {Signaling|null} */
    this.socket = null;
    /** @type {Peer|null} */
    this.peer = null;
    this.aborted = false;
  }

  /**
   * Run both checks; never rejects (failures become advice in the report).
   * @returns {Promise<ProbeReport>}
   */
  async run() {
    try {
      await this.#run();
    } catch (error) {
      if (!this.aborted) console.error("connectivity check", error);
    } finally {
      this.#cleanup();
    }
    return this.report;
  }

  /** Stop at once (e.g. the person pressed Join). */
  abort() {
    this.aborted = true;
    this.#cleanup();
  }

  async #run() {
    this.#set("signaling", { status: "running", summary: "Contacting the interview server…" });
    const socket = new Signaling(socketUrl(this.wsUrl, location.href, { probe: "1" }), {
      reconnect: false,
      pingEveryMs: 60000,
    });
    this.socket = socket;
    /** @type {Promise<any>} */
    const firstOffer = new Promise((resolve) => {
      socket.on("offer", (offer) => {
        if (this.peer) this.peer.handleOffer(offer).catch(() => {});
        else resolve(offer);
      });
    });
    socket.on("welcome", (welcome) => {
      if (Array.isArray(welcome.ice_servers)) this.iceServers = welcome.ice_servers;
    });
    const opened = new Promise((resolve, reject) => {
      socket.on("open", resolve);
      socket.on("state", ({ state }) => {
        if (state !== "open" && state !== "connecting") reject(new Error(state));
      });
      setTimeout(() => reject(new Error("timeout")), 10000);
    });
    socket.start();
    try {
      await opened;
    } catch {
      if (this.aborted) return;
      this.#set("signaling", {
        status: "fail",
        summary: "We could not reach the interview server.",
        advice:
          "Check that you are online. Company networks and VPNs sometimes block this kind of connection: " +
          "try another network (your phone's hotspot usually works), or ask your IT team to allow " +
          `secure WebSocket connections to ${new URL(this.wsUrl, location.href).host}.`,
      });
      this.#set("media", { status: "fail", summary: "Not tested: the server could not be reached." });
      return;
    }

    /** @type {number[]} */
    const rtts = [];
    for (let i = 0; i < 3 && !this.aborted; i++) {
      try {
        rtts.push(await socket.ping(4000));
      } catch {
        break;
      }
    }
    if (this.aborted) return;
    if (rtts.length === 0) {
      this.#set("signaling", {
        status: "warn",
        summary: "Connected to the server, but it did not answer our test message.",
        advice: "Reload the page to try again. If this keeps happening, try another network.",
      });
    } else {
      const rtt = rtts.sort((a, b) => a - b)[Math.floor(rtts.length / 2)];
      this.report.details.signalingRttMs = rtt;
      this.#set("signaling", rtt > SLOW_MS
        ? {
            status: "warn",
            summary: `Reached the server, but slowly (round trip ${formatMs(rtt)}).`,
            advice: "Video may lag. Pause downloads and streaming on your network, or move closer to your Wi‑Fi router.",
          }
        : { status: "ok", summary: `Reached the server (round trip ${formatMs(rtt)}).` });
    }

    await this.#checkMedia(firstOffer);
  }

  /** @param {Promise<any>} firstOffer */
  async #checkMedia(firstOffer) {
    if (typeof RTCPeerConnection === "undefined") {
      this.#set("media", {
        status: "fail",
        summary: "This browser cannot make video calls.",
        advice: "Use a current version of Chrome, Edge, Firefox or Safari.",
      });
      return;
    }
    this.#set("media", { status: "running", summary: "Testing a video connection to the server…" });
    const offer = await Promise.race([firstOffer, sleep(10000).then(() => null)]);
    if (this.aborted) return;
    if (!offer) {
      this.#set("media", {
        status: "fail",
        summary: "The server did not start the video test.",
        advice: "Reload the page to try again.",
      });
      return;
    }
    const socket = /** @type {Signaling} */ (this.socket);
    const peer = new Peer({ iceServers: this.iceServers, send: (message) => socket.send(message) });
    this.peer = peer;
    this.report.details.turnConfigured = hasTurn(this.iceServers);
    if (this.camera) await peer.setLocalTrack("camera", this.camera);
    await peer.handleOffer(offer);
    try {
      await peer.connected(15000);
    } catch {
      if (this.aborted) return;
      this.#set("media", {
        status: "fail",
        summary: "Your network blocked the video connection.",
        advice:
          (this.report.details.turnConfigured
            ? "Even our relay server could not get through. "
            : "") +
          "Switch off any VPN, try another network (a phone hotspot usually works), or ask your IT team to allow video calls (UDP) to this service.",
      });
      return;
    }
    this.report.details.iceConnected = true;
    this.#set("media", { status: "running", summary: "Connected; waiting for your video to come back…" });

    const echo = [...peer.remote.values()].find((remote) => remote.track.kind === "video");
    if (this.camera && echo) {
      const deadline = performance.now() + 10000;
      while (!this.aborted && performance.now() < deadline) {
        this.report.details.framesDecoded = await framesDecoded(echo.receiver);
        if (this.report.details.framesDecoded > 0) break;
        await sleep(400);
      }
    }
    if (this.aborted) return;
    // The pair's RTT appears after the first STUN consent checks: give it a moment.
    for (let i = 0; i < 10 && !this.aborted; i++) {
      const stats = await peer.stats();
      this.report.details.relayed = stats.relayed;
      if (stats.rttMs !== null) {
        this.report.details.mediaRttMs = stats.rttMs;
        break;
      }
      await sleep(500);
    }
    if (this.aborted) return;
    this.#set("media", this.#mediaVerdict());
  }

  /** @returns {CheckLine} */
  #mediaVerdict() {
    const { framesDecoded: frames, mediaRttMs: rtt, relayed, turnConfigured } = this.report.details;
    const path = relayed
      ? "through our relay server (TURN)"
      : turnConfigured
        ? "directly (a relay server is ready if your network needs one)"
        : "directly";
    const rttText = rtt === null ? "" : `, round trip ${formatMs(rtt)}`;
    if (!this.camera) {
      return {
        status: "warn",
        summary: `Connected ${path}${rttText}. Video was not tested because no camera is on.`,
      };
    }
    if (frames === 0) {
      return {
        status: "fail",
        summary: `Connected ${path}, but no video came back.`,
        advice: "Reload the page to try again. If it keeps happening, try another browser or network.",
      };
    }
    if (rtt !== null && rtt > SLOW_MS) {
      return {
        status: "warn",
        summary: `Video works ${path}, but the connection is slow${rttText}.`,
        advice: "Video may lag. Pause downloads and streaming on your network, or move closer to your Wi‑Fi router.",
      };
    }
    return { status: "ok", summary: `Video works, connected ${path}${rttText}.` };
  }

  /**
   * @param {"signaling"|"media"} which
   * @param {CheckLine} line
   */
  #set(which, line) {
    if (this.aborted) return;
    this.report[which] = line;
    this.onUpdate(this.report);
  }

  #cleanup() {
    this.peer?.close();
    this.peer = null;
    this.socket?.close();
    this.socket = null;
    this.camera?.stop();
    this.camera = null;
  }
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
