// Our own microphone, camera and screen share in the room: turning them on and off, and
// following a device that goes away. The room decides what each change means for the others.
import { adviceFor, openDevice } from "./devices.js";

/** @typedef {"microphone"|"camera"|"screen"} Source */
/**
 * @typedef {object} Change
 * @property {string} text what happened, in words (announced to screen readers)
 * @property {string} [problem] plain advice when something went wrong (shown)
 */

export class LocalMedia {
  /**
   * @param {object} options
   * @param {{audio: MediaStreamTrack|null, video: MediaStreamTrack|null}} options.tracks from the pre-join page
   * @param {{audio: boolean, video: boolean}} options.enabled whether mic and camera start on
   * @param {{audioId?: string, videoId?: string}} options.devices the devices chosen before joining
   * @param {(source: Source, track: MediaStreamTrack|null) => Promise<void>} options.publish fills our slot
   * @param {(change: Change) => void} options.onChange after every change of state
   */
  constructor({ tracks, enabled, devices, publish, onChange }) {
    if (!enabled.video) tracks.video?.stop();
    /** @type {{audio: MediaStreamTrack|null, video: MediaStreamTrack|null, screen: MediaStreamTrack|null}} */
    this.tracks = { audio: tracks.audio, video: enabled.video ? tracks.video : null, screen: null };
    this.state = { audio: enabled.audio && Boolean(tracks.audio), video: Boolean(this.tracks.video), screen: false };
    if (this.tracks.audio) this.tracks.audio.enabled = this.state.audio;
    this.devices = devices;
    this.publish = publish;
    this.onChange = onChange;
    this.stopped = false;
    this.#watch(this.tracks.audio);
    this.#watch(this.tracks.video);
  }

  /** Mute or unmute (opening a microphone if we have none yet). */
  async toggleMic() {
    if (!this.tracks.audio) {
      let track;
      try {
        track = await openDevice("audio", this.devices.audioId);
      } catch (error) {
        this.onChange({ text: "Microphone unavailable.", problem: adviceFor(error, "audio") });
        return;
      }
      if (this.stopped) return void track.stop();
      this.tracks.audio = track;
      this.#watch(track);
      await this.publish("microphone", track);
    }
    this.state.audio = !this.state.audio;
    this.tracks.audio.enabled = this.state.audio; // instant, and no renegotiation
    this.onChange({ text: this.state.audio ? "Microphone on." : "Microphone muted." });
  }

  /** Camera off (the device is released, so its light goes off) or on again. */
  async toggleCamera() {
    if (this.state.video) {
      this.tracks.video?.stop();
      this.tracks.video = null;
      this.state.video = false;
      await this.publish("camera", null);
    } else {
      let track;
      try {
        track = await openDevice("video", this.devices.videoId);
      } catch (error) {
        this.onChange({ text: "Camera unavailable.", problem: adviceFor(error, "video") });
        return;
      }
      if (this.stopped) return void track.stop();
      this.tracks.video = track;
      this.state.video = true;
      this.#watch(track);
      await this.publish("camera", track);
    }
    this.onChange({ text: this.state.video ? "Camera on." : "Camera off." });
  }

  /** Start sharing (the browser asks what to share) or stop. */
  async toggleScreen() {
    if (this.state.screen) {
      await this.stopScreen();
      return;
    }
    let track;
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
      track = stream.getVideoTracks()[0];
    } catch (error) {
      if (/** @type {any} */ (error)?.name === "NotAllowedError") return; // the picker was cancelled
      console.warn("getDisplayMedia", error);
      this.onChange({ text: "Screen sharing did not start.", problem: "Screen sharing could not start. Try again, or share a single window instead." });
      return;
    }
    if (!track || this.stopped) {
      track?.stop();
      return;
    }
    if ("contentHint" in track) track.contentHint = "detail"; // sharp text over smooth motion
    // The browser's own "Stop sharing" bar ends the track: keep our state in step.
    track.addEventListener("ended", () => {
      if (this.tracks.screen === track) this.stopScreen().catch(() => {});
    });
    this.tracks.screen = track;
    this.state.screen = true;
    await this.publish("screen", track);
    this.onChange({ text: "You are sharing your screen." });
  }

  async stopScreen() {
    const track = this.tracks.screen;
    this.tracks.screen = null;
    this.state.screen = false;
    track?.stop();
    await this.publish("screen", null);
    this.onChange({ text: "Screen sharing stopped." });
  }

  /** Release every device (leaving, or the end). */
  stopAll() {
    this.stopped = true;
    for (const track of Object.values(this.tracks)) track?.stop();
  }

  /**
   * Follow a device that goes away (unplugged, or taken by the system).
   * @param {MediaStreamTrack|null} track
   */
  #watch(track) {
    track?.addEventListener("ended", () => {
      if (this.stopped) return;
      if (track === this.tracks.video) {
        this.tracks.video = null;
        this.state.video = false;
        this.publish("camera", null).catch(() => {});
        this.onChange({ text: "Camera stopped.", problem: "Your camera stopped. Check it is connected, then turn it on again." });
      } else if (track === this.tracks.audio) {
        this.tracks.audio = null;
        this.state.audio = false;
        this.publish("microphone", null).catch(() => {});
        this.onChange({ text: "Microphone stopped.", problem: "Your microphone stopped. Check it is connected, then unmute to try again." });
      }
    });
  }
}
