// The interview room: ties the socket, the peer connection and the page together.
// Views: "connecting" -> "lobby" (candidate waiting) -> "room" -> "ended".
import { Chat } from "./chat.js";
import { canShareScreen } from "./devices.js";
import { byId } from "./elements.js";
import { LocalMedia } from "./local-media.js";
import { LevelMeter } from "./meter.js";
import { Notes } from "./notes.js";
import { Lobby, ParticipantList } from "./participants.js";
import { Peer } from "./peer.js";
import { Signaling, socketUrl } from "./signaling.js";
import { ActiveSpeaker, receiverLevel } from "./speaker.js";
import { RecordingStatus } from "./recording.js";
import { QualityTracker } from "./stats.js";
import { Tiles } from "./tiles.js";

/** @typedef {import("./config.js").RoomConfig} RoomConfig */
/** @typedef {import("./tiles.js").Participant} Participant */
/** @typedef {import("./notices.js").Notices} Notices */
/** @typedef {"connecting"|"lobby"|"room"|"ended"} View */
/** @typedef {"left"|"ended"|"refused"|"replaced"|"consent"} Finish */

const SELF = "self"; // the tile key for yourself, stable before and after welcome
const QUALITY_EVERY_MS = 5000;
const SPEAKING_EVERY_MS = 400;

export class Room {
  /**
   * @param {object} options
   * @param {RoomConfig} options.config
   * @param {string} options.name the display name to join with
   * @param {{audio: MediaStreamTrack|null, video: MediaStreamTrack|null}} options.tracks from the pre-join page
   * @param {{audio: boolean, video: boolean}} options.enabled whether mic and camera start on
   * @param {{audioId?: string, videoId?: string, speakerId?: string}} options.devices
   * @param {Notices} options.notices
   * @param {boolean} [options.consent] the participant ticked the recording notice (sent in every join)
   * @param {(why: Finish) => void} [options.onFinished] after leaving or the end, once the page shows it
   * @param {(local: {audio: boolean, video: boolean}) => void} [options.onMediaChange] mic/camera toggled
   */
  constructor({
    config,
    name,
    tracks,
    enabled,
    devices,
    notices,
    consent = false,
    onFinished = () => {},
    onMediaChange = () => {},
  }) {
    this.config = config;
    this.name = name;
    this.consent = consent;
    this.media = new LocalMedia({
      tracks,
      enabled,
      devices,
      publish: async (source, track) => {
        await this.peer?.setLocalTrack(source, track);
      },
      onChange: (change) => this.#localChanged(change),
    });
    this.notices = notices;
    this.onFinished = onFinished;
    this.onMediaChange = onMediaChange;
    /** @type {View} */
    this.view = "connecting";
    /** @type {Participant|null} */
    this.you = null;
    /** @type {Map<string, Participant>} */
    this.participants = new Map();
    /** @type {import("./peer.js").RemoteTrack[]} */
    this.remoteTracks = [];
    /** @type {Peer|null} */
    this.peer = null;
    this.welcomed = false;
    this.recorded = config.recorded;
    this.consentRefused = ""; // the server's words, when it wanted the recording notice ticked
    this.serverSpeaks = false; // once the server names speakers, it alone decides
    this.speakers = new ActiveSpeaker();
    this.quality = new QualityTracker();
    /** @type {ReturnType<typeof setTimeout>|null} */
    this.repairTimer = null;
    /** @type {ReturnType<typeof setInterval>[]} */
    this.timers = [];

    this.dom = {
      room: byId("room"),
      status: byId("room-status"),
      recording: byId("room-recording"),
      lobbyWait: byId("lobby-wait"),
      stage: byId("room-stage"),
      sound: /** @type {HTMLButtonElement} */ (byId("room-sound")),
      mic: /** @type {HTMLButtonElement} */ (byId("btn-mic")),
      camera: /** @type {HTMLButtonElement} */ (byId("btn-camera")),
      screen: /** @type {HTMLButtonElement} */ (byId("btn-screen")),
      leave: /** @type {HTMLButtonElement} */ (byId("btn-leave")),
      end: /** @type {HTMLButtonElement} */ (byId("btn-end")),
      recordingButton: /** @type {HTMLButtonElement} */ (byId("btn-recording")),
      endDialog: /** @type {HTMLDialogElement} */ (byId("end-dialog")),
      chatForm: /** @type {HTMLFormElement} */ (byId("chat-form")),
      chatInput: /** @type {HTMLInputElement} */ (byId("chat-input")),
      ended: byId("room-ended"),
      endedTitle: byId("room-ended-title"),
      endedText: byId("room-ended-text"),
      rejoin: /** @type {HTMLButtonElement} */ (byId("btn-rejoin")),
    };
    this.tiles = new Tiles(this.dom.stage, byId("room-audio"), {
      onAudioBlocked: () => {
        this.dom.sound.hidden = false;
      },
    });
    this.people = new ParticipantList(byId("people-list"), byId("people-count"));
    this.lobby = new Lobby(byId("lobby-panel"), byId("lobby-list"), (id) =>
      this.socket.send({ type: "admit", participant: id }),
    );
    this.chat = new Chat({
      log: byId("chat-log"),
      form: this.dom.chatForm,
      input: this.dom.chatInput,
      send: (text) => this.socket.send({ type: "chat", text }),
      onProblem: (text) => this.notices.show(text),
    });
    this.recording = new RecordingStatus({
      indicator: this.dom.recording,
      button: this.dom.recordingButton,
      send: (paused) => this.socket.send({ type: "recording", paused }),
      announce: (text) => this.notices.announce(text),
      onProblem: (text) => this.notices.show(text),
      initial: config.recorded ? "recording" : "off",
    });
    this.recording.setRole(config.role === "interviewer");
    // Only an interviewer's page has the panel.
    const notesPanel = document.getElementById("notes-panel");
    /** @type {Notes|null} */
    this.notes = notesPanel
      ? new Notes({
          panel: notesPanel,
          list: byId("notes-list"),
          count: byId("notes-count"),
          form: /** @type {HTMLFormElement} */ (byId("note-form")),
          input: /** @type {HTMLTextAreaElement} */ (byId("note-input")),
          bookmark: /** @type {HTMLButtonElement} */ (byId("btn-bookmark")),
          toggle: /** @type {HTMLButtonElement} */ (byId("notes-toggle")),
          send: ({ text, bookmark }) =>
            this.socket.send(bookmark ? { type: "note", text, bookmark: true } : { type: "note", text }),
          announce: (text) => this.notices.announce(text),
          onProblem: (text) => this.notices.show(text),
        })
      : null;
    this.meter = new LevelMeter(() => {});
    this.meter.attach(this.media.tracks.audio);
    this.meterTrack = this.media.tracks.audio;
    this.socket = new Signaling(socketUrl(config.wsUrl));
    if (devices.speakerId) this.tiles.setSink(devices.speakerId);
  }

  /** Show the room and connect. */
  start() {
    document.body.classList.add("in-room");
    this.dom.room.hidden = false;
    this.dom.end.hidden = this.config.role !== "interviewer";
    this.dom.screen.hidden = !canShareScreen();
    this.#wireControls();
    this.tiles.upsert(this.#selfParticipant(), { self: true });
    this.tiles.setCamera(SELF, this.media.tracks.video);
    this.#renderControls();
    this.#renderPeople();
    this.#listen();
    this.socket.start();
    this.timers.push(setInterval(() => this.#reportQuality().catch(() => {}), QUALITY_EVERY_MS));
    this.timers.push(setInterval(() => this.#detectSpeaker().catch(() => {}), SPEAKING_EVERY_MS));
    this.dom.room.querySelector("h1")?.focus();
  }

  /** Our own tracks (microphone, camera, screen), for support and tests. */
  get tracks() {
    return this.media.tracks;
  }

  /** A snapshot for support and tests. */
  snapshot() {
    return {
      view: this.view,
      socket: this.socket.state,
      you: this.you,
      local: { ...this.media.state },
      participants: [...this.participants.values()],
      remote: this.remoteTracks.map(({ mid, participant, source }) => ({ mid, participant, source })),
    };
  }

  /** Leave on purpose: others see you leave rather than "reconnecting". */
  leave() {
    this.socket.send({ type: "leave" });
    this.#finish("left");
  }

  #listen() {
    const on = (/** @type {string} */ type, /** @type {(m: any) => any} */ handler) => this.socket.on(type, handler);
    on("open", () => {
      const { audio, video } = this.media.state;
      /** @type {Record<string, unknown>} */
      const join = { type: "join", name: this.name || undefined, audio, video };
      if (this.consent) join.consent = true;
      this.socket.send(join);
    });
    on("state", ({ state, reason }) => this.#socketState(state, reason));
    on("welcome", (m) => this.#welcome(m));
    on("lobby", (m) => this.#lobby(m));
    on("admitted", (m) => {
      // Not in the protocol table, but tolerated: what happened while we waited.
      if (Array.isArray(m.chat)) this.chat.replace(m.chat);
      if (Array.isArray(m.participants)) this.#replaceParticipants(m.participants);
      this.#show("room");
      this.notices.announce("You have been admitted to the interview.");
    });
    on("offer", (m) => this.#offer(m));
    on("candidate", (m) => this.peer?.addCandidate(m));
    on("participant-joined", ({ participant }) => {
      if (!participant?.id || participant.id === this.you?.id) return;
      this.#upsert(participant);
      this.notices.announce(`${participant.name} joined.`);
    });
    on("participant-updated", ({ participant }) => this.#updated(participant));
    on("participant-left", ({ id, reason }) => {
      const who = this.participants.get(id);
      if (!who) return;
      this.participants.delete(id);
      this.tiles.remove(id);
      this.#renderPeople();
      this.notices.announce(reason === "removed" ? `${who.name} was removed.` : `${who.name} left.`);
    });
    on("speaking", ({ id }) => {
      this.serverSpeaks = true;
      this.tiles.setSpeaker(id && id === this.you?.id ? SELF : (id ?? null));
    });
    on("chat", (m) => this.chat.add(m));
    on("recording", (m) => this.recording.update(m));
    on("note", (m) => {
      if (this.#isInterviewer()) this.notes?.add(m);
    });
    on("ended", ({ by }) => this.#finish("ended", typeof by === "string" ? by : ""));
    on("error", (m) => {
      const text = typeof m.message === "string" && m.message ? m.message : "The server refused a request.";
      if (m.code === "consent_required") {
        // The socket closes next (4003); the end screen says what to do.
        this.consentRefused = text;
        return;
      }
      if (m.in_reply_to === "recording") this.recording.refused(text);
      else this.notices.show(text);
      if (m.in_reply_to === "chat") this.chat.refused(text);
      if (m.in_reply_to === "note") this.notes?.refused(text);
    });
  }

  /** @param {any} m */
  #welcome(m) {
    const again = this.welcomed;
    this.welcomed = true;
    this.you = m.you && typeof m.you.id === "string" ? m.you : { id: "", name: this.name };
    this.chat.selfId = this.you?.id ?? null;
    const interviewer = this.#isInterviewer();
    this.dom.end.hidden = !interviewer;
    this.recorded = typeof m.recorded === "boolean" ? m.recorded : this.recorded;
    this.recording.setRole(interviewer);
    this.recording.update(m.recording ?? (this.recorded ? null : "off"));
    if (this.notes) {
      this.notes.selfId = this.you?.id ?? null;
      this.notes.show(interviewer);
      this.notes.replace(interviewer ? m.notes : []);
    }
    // Every welcome starts a fresh server-side peer connection (a reconnect replaces the old
    // one), so ours starts fresh too; its offer follows.
    this.#newPeer(Array.isArray(m.ice_servers) ? m.ice_servers : this.config.iceServers);
    this.#replaceParticipants(Array.isArray(m.participants) ? m.participants : []);
    this.tiles.upsert(this.#selfParticipant(), { self: true });
    this.chat.replace(m.chat);
    if (Array.isArray(m.waiting)) this.#lobby({ waiting: m.waiting }); // sent to interviewers
    this.#show(m.state === "lobby" ? "lobby" : "room");
    if (this.media.state.screen) this.#sendMedia(); // join has no screen field
    if (again) this.notices.announce("Reconnected.");
    else if (m.state === "lobby") this.notices.announce("You are in the lobby. An interviewer will let you in.");
    else this.notices.announce(`You joined. ${this.#whoIsHere()}${this.#recordingNow()}`);
  }

  #isInterviewer() {
    return (this.you?.role ?? this.config.role) === "interviewer";
  }

  #recordingNow() {
    const state = this.recording.state;
    if (state === "recording") return " This interview is being recorded.";
    if (state === "paused") return " The recording is paused.";
    return "";
  }

  /** @param {Participant[]} list everyone else in the room (yourself is skipped if listed) */
  #replaceParticipants(list) {
    this.participants.clear();
    for (const p of list) {
      if (p?.id && p.id !== this.you?.id) this.participants.set(p.id, p);
    }
    this.tiles.retain(new Set([SELF, ...this.participants.keys()]));
    for (const p of this.participants.values()) this.tiles.upsert(p);
    this.#applyTracks();
    this.#renderPeople();
  }

  /** @param {any} m */
  #lobby(m) {
    if (this.config.role !== "interviewer" && this.you?.role !== "interviewer") return;
    const fresh = this.lobby.render(Array.isArray(m.waiting) ? m.waiting : []);
    for (const p of fresh) this.notices.announce(`${p.name} is waiting in the lobby.`);
  }

  /** @param {any} m */
  #offer(m) {
    if (typeof m.sdp !== "string") return;
    if (!this.peer) this.#newPeer(this.config.iceServers);
    const peer = /** @type {Peer} */ (this.peer);
    peer.handleOffer(m).catch(() => {
      if (peer !== this.peer) return;
      this.notices.show("The video connection could not be set up. Reconnecting…");
      this.socket.restart();
    });
  }

  /** @param {any} participant */
  #updated(participant) {
    if (!participant?.id) return;
    if (participant.id === this.you?.id) {
      this.you = { ...this.you, ...participant };
      this.#renderPeople();
      return;
    }
    const before = this.participants.get(participant.id);
    this.#upsert({ ...before, ...participant });
    if (before && before.connection !== participant.connection) {
      if (participant.connection === "reconnecting") this.notices.announce(`${participant.name}’s connection dropped; reconnecting…`);
      else if (participant.connection === "connected") this.notices.announce(`${participant.name} is back.`);
    }
  }

  /** @param {Participant} participant */
  #upsert(participant) {
    this.participants.set(participant.id, participant);
    this.tiles.upsert(participant);
    this.#applyTracks();
    this.#renderPeople();
  }

  /** @param {RTCIceServer[]} iceServers */
  #newPeer(iceServers) {
    this.peer?.close();
    if (this.repairTimer) clearTimeout(this.repairTimer);
    this.quality = new QualityTracker();
    const peer = new Peer({
      iceServers,
      send: (message) => this.socket.send(message),
      onRemoteTracks: (tracks) => {
        if (peer !== this.peer) return;
        this.remoteTracks = tracks;
        this.#applyTracks();
      },
      onState: (state) => {
        if (peer === this.peer) this.#peerState(state);
      },
    });
    this.peer = peer;
    const { audio, video, screen } = this.media.tracks;
    peer.setLocalTrack("microphone", audio).catch(() => {});
    peer.setLocalTrack("camera", video).catch(() => {});
    peer.setLocalTrack("screen", screen).catch(() => {});
    this.remoteTracks = [];
    this.#applyTracks();
  }

  #applyTracks() {
    /** @type {Map<string, Record<string, MediaStreamTrack>>} */
    const byPerson = new Map();
    for (const remote of this.remoteTracks) {
      if (remote.participant === this.you?.id) continue;
      const sources = byPerson.get(remote.participant) ?? {};
      sources[remote.source] = remote.track;
      byPerson.set(remote.participant, sources);
    }
    for (const [id, participant] of this.participants) {
      const sources = byPerson.get(id) ?? {};
      this.tiles.setCamera(id, sources.camera ?? null);
      // A screen slot may exist before (or after) the share: the participant's state decides.
      this.tiles.setScreen(id, participant.screen ? (sources.screen ?? null) : null);
      this.tiles.setAudio(id, sources.microphone ?? null);
    }
  }

  /** @param {string} state */
  #peerState(state) {
    if (this.repairTimer) clearTimeout(this.repairTimer);
    this.repairTimer = null;
    // Only the server may offer, so a broken media path is repaired by rejoining, which
    // makes the server build a new peer connection and offer again.
    if (state === "failed") {
      this.notices.show(
        "The video connection failed; trying again. If this keeps happening, switch off any VPN or try another network.",
      );
      this.repairTimer = setTimeout(() => this.socket.restart(), 1000);
    } else if (state === "disconnected") {
      this.repairTimer = setTimeout(() => this.socket.restart(), 8000);
    }
    this.#renderStatus();
  }

  /**
   * @param {import("./signaling.js").SocketState} state
   * @param {string} [reason]
   */
  #socketState(state, reason) {
    if (this.view === "ended") return;
    // #room-status is itself a live region, so "Reconnecting…" is announced from there.
    if (state === "refused") {
      if (this.consentRefused) this.#finish("consent", this.consentRefused);
      else this.#finish("refused", reason ?? "");
      return;
    } else if (state === "replaced") {
      this.#finish("replaced");
      return;
    }
    this.#renderStatus();
  }

  #renderStatus() {
    const socket = this.socket.state;
    const media = this.peer?.state ?? "new";
    let text = "Connecting…";
    let level = "pending";
    if (socket === "reconnecting") {
      text = navigator.onLine === false ? "You are offline. Reconnecting when the network is back…" : "Reconnecting…";
      level = "warn";
    } else if (socket === "open" && (media === "connected" || this.view === "lobby")) {
      text = "Connected";
      level = "ok";
    } else if (socket === "open" && (media === "disconnected" || media === "failed")) {
      text = "Video connection interrupted. Repairing…";
      level = "warn";
    }
    this.dom.status.textContent = text;
    this.dom.status.dataset.level = level;
  }

  /** @param {View} view */
  #show(view) {
    this.view = view;
    this.dom.lobbyWait.hidden = view !== "lobby";
    this.dom.room.dataset.view = view;
    const inRoom = view === "room";
    this.dom.chatInput.disabled = !inRoom;
    const sendButton = this.dom.chatForm.querySelector("button");
    if (sendButton) sendButton.disabled = !inRoom;
    this.dom.screen.disabled = !inRoom;
    this.#renderStatus();
  }

  #wireControls() {
    const act = (/** @type {HTMLButtonElement} */ button, /** @type {() => Promise<void>} */ action) => {
      button.addEventListener("click", () => {
        // A camera can take a moment to open: ignore clicks meanwhile. Not `disabled`, which
        // would throw the keyboard focus off the button.
        if (button.getAttribute("aria-busy") === "true") return;
        button.setAttribute("aria-busy", "true");
        action()
          .catch((error) => console.error(error))
          .finally(() => button.removeAttribute("aria-busy"));
      });
    };
    act(this.dom.mic, () => this.media.toggleMic());
    act(this.dom.camera, () => this.media.toggleCamera());
    act(this.dom.screen, () => this.media.toggleScreen());
    this.dom.leave.addEventListener("click", () => this.leave());
    this.dom.end.addEventListener("click", () => {
      this.dom.endDialog.returnValue = ""; // Escape keeps the last value otherwise
      this.dom.endDialog.showModal();
    });
    this.dom.endDialog.addEventListener("close", () => {
      if (this.dom.endDialog.returnValue !== "end") return;
      if (!this.socket.send({ type: "end" })) this.notices.show("Not connected: the interview was not ended. Try again in a moment.");
    });
    this.dom.sound.addEventListener("click", () => {
      this.dom.sound.hidden = true;
      this.tiles.resumeAudio();
    });
  }

  /** @param {import("./local-media.js").Change} change */
  #localChanged({ text, problem }) {
    if (this.view === "ended") return;
    const { audio, video, screen } = this.media.tracks;
    if (audio !== this.meterTrack) {
      this.meterTrack = audio;
      this.meter.attach(audio);
    }
    this.tiles.setCamera(SELF, video);
    this.tiles.setScreen(SELF, screen);
    this.#sendMedia();
    if (problem) this.notices.show(problem);
    this.notices.announce(text);
  }

  #sendMedia() {
    const { audio, video, screen } = this.media.state;
    this.socket.send({ type: "media", audio, video, screen });
    this.onMediaChange({ audio, video });
    this.tiles.upsert(this.#selfParticipant(), { self: true });
    this.#renderControls();
    this.#renderPeople();
  }

  #renderControls() {
    const { mic, camera, screen } = this.dom;
    const on = this.media.state;
    mic.textContent = on.audio ? "Mute" : "Unmute";
    mic.setAttribute("aria-label", on.audio ? "Mute microphone" : "Unmute microphone");
    mic.classList.toggle("is-off", !on.audio);
    camera.textContent = on.video ? "Stop camera" : "Start camera";
    camera.setAttribute("aria-label", on.video ? "Turn camera off" : "Turn camera on");
    camera.classList.toggle("is-off", !on.video);
    screen.textContent = on.screen ? "Stop sharing" : "Share screen";
    screen.classList.toggle("is-on", on.screen);
  }

  /** @returns {Participant} */
  #selfParticipant() {
    return {
      ...(this.you ?? {}),
      id: SELF,
      name: this.you?.name ?? this.name,
      role: this.you?.role ?? this.config.role,
      audio: this.media.state.audio,
      video: this.media.state.video,
      screen: this.media.state.screen,
      connection: "connected",
      quality: this.you?.quality ?? null,
    };
  }

  #renderPeople() {
    const self = { ...this.#selfParticipant(), id: this.you?.id || SELF };
    this.people.render([self, ...this.participants.values()], self.id);
  }

  #whoIsHere() {
    const names = [...this.participants.values()].map((p) => p.name);
    if (names.length === 0) return "Nobody else is here yet.";
    return `Here: ${names.join(", ")}.`;
  }

  async #reportQuality() {
    const peer = this.peer;
    if (!peer || this.view !== "room" || this.socket.state !== "open") return;
    const stats = await peer.stats();
    const { level, rttMs } = this.quality.update(stats, peer.state === "connected");
    /** @type {{type: string, level: string, rtt_ms?: number}} */
    const message = { type: "quality", level };
    if (rttMs !== null) message.rtt_ms = Math.round(rttMs);
    this.socket.send(message);
    if (this.you) this.you = { ...this.you, quality: level };
    this.tiles.upsert(this.#selfParticipant(), { self: true });
    this.#renderPeople();
  }

  /** Active speaker from audio levels, while the server is not telling us. */
  async #detectSpeaker() {
    if (this.serverSpeaks || this.view !== "room") return;
    /** @type {[string, number][]} */
    const levels = [];
    if (this.media.state.audio) levels.push([SELF, this.meter.level]);
    for (const remote of this.remoteTracks) {
      const level = remote.source === "microphone" ? receiverLevel(remote.receiver) : null;
      if (level !== null) levels.push([remote.participant, level]);
    }
    this.tiles.setSpeaker(this.speakers.update(levels));
  }

  /**
   * @param {Finish} why
   * @param {string} [detail]
   */
  #finish(why, detail = "") {
    if (this.view === "ended") return;
    this.view = "ended";
    for (const timer of this.timers) clearInterval(timer);
    if (this.repairTimer) clearTimeout(this.repairTimer);
    this.socket.close();
    this.peer?.close();
    this.peer = null;
    this.meter.close();
    this.media.stopAll();
    this.tiles.clear();
    if (this.dom.endDialog.open) this.dom.endDialog.close();
    document.body.classList.remove("in-room");
    this.dom.room.hidden = true;
    const texts = {
      left: ["You left the interview", "You can rejoin while the interview is still going on."],
      ended: ["The interview has ended", detail ? `${detail} ended the interview for everyone. Thank you for joining.` : "The interview was ended for everyone. Thank you for joining."],
      refused: ["You are no longer connected", detail ? `The server closed the connection: ${detail}` : "The server closed the connection. Reload the page to try again."],
      replaced: ["You joined from somewhere else", "You opened the interview in another window or on another device, so this window has left the room."],
      consent: ["Please confirm the recording notice", `${detail} Go back to the join page and tick “I understand that this interview is recorded”.`],
    };
    const [title, text] = texts[why];
    this.dom.endedTitle.textContent = title;
    this.dom.endedText.textContent = text;
    this.dom.rejoin.hidden = why === "ended";
    this.dom.rejoin.textContent = why === "consent" ? "Back to the join page" : "Rejoin";
    this.dom.ended.hidden = false;
    this.dom.endedTitle.focus();
    this.onFinished(why);
  }
}
