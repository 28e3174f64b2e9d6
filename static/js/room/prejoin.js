// Entry point of the join page: the pre-join check (preview, devices, meter, connectivity,
// countdown) and then, on "Join", the room on the same page with the same devices.
import { readConfig } from "./config.js";
import { countDown, formatDuration } from "./countdown.js";
import { canChooseSpeaker, capture, listDevices, openDevice, adviceFor } from "./devices.js";
import { byId, el } from "./elements.js";
import { LevelMeter, audioContext, resumeAudioOnGesture } from "./meter.js";
import { Notices } from "./notices.js";
import { ConnectivityCheck } from "./probe.js";
import { Room } from "./room.js";
import { playTestTone } from "./test-tone.js";

/** @typedef {import("./probe.js").ProbeReport} ProbeReport */

const REJOIN_KEY = "liveinterview:rejoin:";
const CONSENT_KEY = "liveinterview:consent:"; // the recording notice was ticked for this link
const REJOIN_MAX_AGE_MS = 4 * 60 * 60 * 1000;
const STATUS_TEXT = { pending: "Not started", running: "Checking", ok: "OK", warn: "Warning", fail: "Problem" };

const config = readConfig();
const notices = new Notices(byId("announcer"), byId("toasts"));
const dom = {
  prejoin: byId("prejoin"),
  preview: /** @type {HTMLVideoElement} */ (byId("preview")),
  previewOff: byId("preview-off"),
  meterBar: byId("mic-meter-bar"),
  micStatus: byId("mic-status"),
  audioHint: byId("audio-hint"),
  problems: byId("media-problems"),
  problemList: byId("media-problem-list"),
  retry: /** @type {HTMLButtonElement} */ (byId("btn-retry-devices")),
  name: /** @type {HTMLInputElement} */ (byId("f-display-name")),
  camera: /** @type {HTMLSelectElement} */ (byId("camera-select")),
  mic: /** @type {HTMLSelectElement} */ (byId("mic-select")),
  speaker: /** @type {HTMLSelectElement} */ (byId("speaker-select")),
  speakerField: byId("speaker-field"),
  testSpeaker: /** @type {HTMLButtonElement} */ (byId("btn-test-speaker")),
  preMic: /** @type {HTMLButtonElement} */ (byId("btn-pre-mic")),
  preCamera: /** @type {HTMLButtonElement} */ (byId("btn-pre-camera")),
  recheck: /** @type {HTMLButtonElement} */ (byId("btn-recheck")),
  countdown: byId("countdown"),
  join: /** @type {HTMLButtonElement} */ (byId("btn-join")),
  joinHint: byId("join-hint"),
  /** only on the page of a recorded interview */
  consent: /** @type {HTMLInputElement|null} */ (document.getElementById("f-consent")),
};

const state = {
  /** @type {MediaStreamTrack|null} */ audio: null,
  /** @type {MediaStreamTrack|null} */ video: null,
  micOn: true,
  cameraOn: true,
  /** @type {{audio?: string, video?: string}} */ problems: {},
  open: !config.opensAt,
  /** @type {ConnectivityCheck|null} */ check: null,
  /** @type {ProbeReport|null} */ lastReport: null,
  /** @type {Room|null} */ room: null,
  heard: false,
  /** @type {Promise<unknown>} settles when the latest device change has */ devicesReady: Promise.resolve(),
};
const meter = new LevelMeter((level) => showLevel(level));

// For support staff and tests: the live objects behind the page.
Object.defineProperty(window, "liveInterview", {
  value: Object.freeze({
    config,
    get room() {
      return state.room;
    },
    get check() {
      return state.check;
    },
    get micLevel() {
      return meter.level;
    },
    get tracks() {
      return { audio: state.audio, video: state.video };
    },
  }),
});

start().catch((error) => {
  console.error("pre-join", error);
  notices.show("Something went wrong on this page. Reload it to try again.");
});

async function start() {
  dom.name.value ||= config.name;
  dom.speakerField.hidden = true;
  // Ticked before in this tab for this link (e.g. before leaving and coming back).
  if (dom.consent && consentGiven()) dom.consent.checked = true;
  wireControls();
  startCountdown();
  updateJoin();
  const saved = savedSeat();
  // A reload goes straight back in only if the recording notice was acknowledged.
  if (saved && state.open && (!dom.consent || dom.consent.checked)) {
    // A reload during the interview: back to the same seat without the checks.
    dom.name.value = saved.name || dom.name.value;
    state.micOn = saved.audio;
    state.cameraOn = saved.video;
    await beforeJoin(openDevices({ audioId: saved.audioId, videoId: saved.videoId }));
    if (saved.speakerId) dom.speaker.value = saved.speakerId;
    await join();
    return;
  }
  await beforeJoin(openDevices({}));
  runCheck();
}

/**
 * Remember a device change in progress, so Join waits for it.
 * @template T
 * @param {Promise<T>} change
 * @returns {Promise<T>}
 */
function beforeJoin(change) {
  state.devicesReady = change.catch(() => {});
  return change;
}

/** @param {{audioId?: string, videoId?: string}} chosen */
async function openDevices(chosen) {
  dom.micStatus.textContent = "Starting your camera and microphone…";
  // Release what we hold first: some cameras cannot be opened twice at once.
  setTrack("audio", null);
  setTrack("video", null);
  const result = await capture({ ...chosen, video: state.cameraOn });
  setTrack("audio", result.audio);
  setTrack("video", result.video);
  state.problems = result.problems;
  showProblems();
  await fillDeviceLists();
  resumeAudioOnGesture(() => {
    dom.audioHint.hidden = true;
  });
  dom.audioHint.hidden = audioContext()?.state !== "suspended" || !state.audio;
}

/**
 * @param {"audio"|"video"} kind
 * @param {MediaStreamTrack|null} track
 */
function setTrack(kind, track) {
  const old = state[kind];
  if (old && old !== track) old.stop();
  state[kind] = track;
  if (kind === "video") {
    dom.preview.srcObject = track ? new MediaStream([track]) : null;
    if (track) dom.preview.play().catch(() => {});
    renderPreview();
  } else {
    if (track) track.enabled = state.micOn;
    meter.attach(track);
    state.heard = false;
    renderMic();
  }
  track?.addEventListener("ended", () => {
    // Unplugged, or taken away by the system.
    if (state[kind] !== track) return;
    state[kind] = null;
    state.problems[kind] = adviceFor({ name: "NotReadableError" }, kind);
    showProblems();
    if (kind === "video") renderPreview();
    else renderMic();
  });
}

function renderPreview() {
  const on = Boolean(state.video) && state.cameraOn;
  dom.preview.hidden = !on;
  dom.previewOff.hidden = on;
  dom.previewOff.textContent = !state.cameraOn
    ? "Your camera is off. You will join without video."
    : state.problems.video
      ? "No camera picture."
      : "Starting camera…";
  dom.preCamera.textContent = state.cameraOn ? "Turn camera off" : "Turn camera on";
  dom.preCamera.classList.toggle("is-off", !state.cameraOn);
}

function renderMic() {
  dom.preMic.textContent = state.micOn ? "Mute" : "Unmute";
  dom.preMic.setAttribute("aria-label", state.micOn ? "Mute microphone" : "Unmute microphone");
  dom.preMic.classList.toggle("is-off", !state.micOn);
  if (!state.audio) dom.micStatus.textContent = "No microphone.";
  else if (!state.micOn) dom.micStatus.textContent = "Microphone muted: you will join muted.";
  else if (!state.heard) dom.micStatus.textContent = "Say something: the bar should move.";
}

/** @param {number} level */
function showLevel(level) {
  dom.meterBar.style.transform = `scaleX(${level.toFixed(3)})`;
  if (level > 0.3 && state.micOn && state.audio && !state.heard) {
    // Only the first time, so screen readers are not flooded.
    state.heard = true;
    dom.micStatus.textContent = "We can hear you.";
  }
}

function showProblems() {
  const texts = [state.problems.video, state.problems.audio].filter((text, i, all) => text && all.indexOf(text) === i);
  dom.problemList.replaceChildren(...texts.map((text) => el("li", {}, /** @type {string} */ (text))));
  dom.problems.hidden = texts.length === 0;
}

async function fillDeviceLists() {
  const lists = await listDevices().catch(() => ({ audioinput: [], videoinput: [], audiooutput: [] }));
  fillSelect(dom.camera, lists.videoinput, state.video?.getSettings().deviceId, "Camera");
  fillSelect(dom.mic, lists.audioinput, state.audio?.getSettings().deviceId, "Microphone");
  if (canChooseSpeaker() && lists.audiooutput.length > 0) {
    const current = dom.speaker.value;
    fillSelect(dom.speaker, lists.audiooutput, current, "Speaker");
    dom.speakerField.hidden = false;
  } else {
    dom.speakerField.hidden = true;
  }
}

/**
 * @param {HTMLSelectElement} select
 * @param {MediaDeviceInfo[]} devices
 * @param {string|undefined} current
 * @param {string} noun
 */
function fillSelect(select, devices, current, noun) {
  if (devices.length === 0) {
    select.replaceChildren(el("option", { value: "" }, `No ${noun.toLowerCase()} found`));
    select.disabled = true;
    return;
  }
  select.disabled = false;
  select.replaceChildren(
    ...devices.map((device, i) => el("option", { value: device.deviceId }, device.label || `${noun} ${i + 1}`)),
  );
  if (current && devices.some((device) => device.deviceId === current)) select.value = current;
}

function wireControls() {
  dom.camera.addEventListener("change", () => beforeJoin(switchDevice("video", dom.camera.value)));
  dom.mic.addEventListener("change", () => beforeJoin(switchDevice("audio", dom.mic.value)));
  dom.retry.addEventListener("click", () => {
    beforeJoin(openDevices({ audioId: dom.mic.value || undefined, videoId: dom.camera.value || undefined }))
      .then(() => {
        if (!state.problems.audio && !state.problems.video) notices.show("Camera and microphone are working.", { kind: "info", timeoutMs: 4000 });
      })
      .catch((error) => console.error(error));
  });
  dom.preMic.addEventListener("click", () => {
    state.micOn = !state.micOn;
    if (state.audio) state.audio.enabled = state.micOn;
    state.heard = false;
    renderMic();
  });
  dom.preCamera.addEventListener("click", () => {
    state.cameraOn = !state.cameraOn;
    if (!state.cameraOn) {
      setTrack("video", null);
      return;
    }
    beforeJoin(switchDevice("video", dom.camera.value));
  });
  dom.testSpeaker.addEventListener("click", () => {
    playTestTone(dom.speaker.value || undefined).catch((error) => console.warn("test sound", error));
  });
  dom.recheck.addEventListener("click", () => runCheck());
  dom.join.addEventListener("click", () => {
    join().catch((error) => {
      console.error("join", error);
      notices.show("Joining failed. Reload the page to try again.");
    });
  });
  dom.name.addEventListener("input", () => updateJoin());
  for (const box of document.querySelectorAll("[data-required-for-join]")) box.addEventListener("change", () => updateJoin());
  navigator.mediaDevices?.addEventListener?.("devicechange", () => {
    if (!state.room) fillDeviceLists().catch(() => {});
  });
}

/**
 * @param {"audio"|"video"} kind
 * @param {string} deviceId
 */
async function switchDevice(kind, deviceId) {
  if (kind === "video" && !state.cameraOn) return;
  // Release the old device first: some cameras cannot be opened twice.
  setTrack(kind, null);
  try {
    setTrack(kind, await openDevice(kind, deviceId || undefined));
    delete state.problems[kind];
  } catch (error) {
    state.problems[kind] = adviceFor(error, kind);
  }
  showProblems();
  if (kind === "video") renderPreview();
}

function runCheck() {
  state.check?.abort();
  const check = new ConnectivityCheck({
    wsUrl: config.wsUrl,
    iceServers: config.iceServers,
    cameraTrack: state.cameraOn ? state.video : null,
    onUpdate: showCheck,
  });
  state.check = check;
  dom.recheck.disabled = true;
  check.run().then((report) => {
    if (state.check !== check) return;
    dom.recheck.disabled = false;
    state.lastReport = report;
    showCheck(report);
    const bad = [report.signaling, report.media].some((line) => line.status === "fail");
    notices.announce(bad ? "Connection check finished with problems; see the advice." : "Connection check finished: all good.");
  });
}

/** @param {ProbeReport} report */
function showCheck(report) {
  for (const which of /** @type {const} */ (["signaling", "media"])) {
    const line = report[which];
    const item = byId(`check-${which}`);
    item.dataset.status = line.status;
    /** @type {HTMLElement} */ (item.querySelector(".check-status")).textContent = STATUS_TEXT[line.status];
    /** @type {HTMLElement} */ (item.querySelector(".check-summary")).textContent = line.summary;
    const advice = /** @type {HTMLElement} */ (item.querySelector(".check-advice"));
    advice.textContent = line.advice ?? "";
    advice.hidden = !line.advice;
  }
}

function startCountdown() {
  if (!config.opensAt) return;
  const text = /** @type {HTMLElement} */ (dom.countdown.querySelector(".countdown-text"));
  dom.countdown.hidden = false;
  countDown({
    opensAt: config.opensAt,
    serverNow: config.serverNow,
    onTick: (left) => {
      text.textContent = `The room opens in ${formatDuration(left)}.`;
    },
    onOpen: () => {
      state.open = true;
      text.textContent = "The room is open. You can join now.";
      notices.announce("The room is open. You can join now.");
      updateJoin();
      // The server may refuse checks before the room opens: try again now that it is open.
      const report = state.lastReport;
      const failed = report && [report.signaling, report.media].some((line) => line.status === "fail");
      if (failed && !state.room) runCheck();
    },
  });
}

function updateJoin() {
  if (dom.join.dataset.joining) return;
  const boxes = /** @type {HTMLInputElement[]} */ ([...document.querySelectorAll("[data-required-for-join]")]);
  const missing = boxes.filter((box) => !box.checked);
  const name = dom.name.value.trim();
  let hint = "";
  if (!state.open) hint = "You can join when the room opens.";
  else if (!name) hint = "Enter your name to join.";
  else if (missing.length) hint = missing[0].dataset.requiredForJoin || "Please confirm the statement above to join.";
  dom.join.disabled = Boolean(hint);
  dom.joinHint.textContent = hint;
  dom.joinHint.hidden = !hint;
}

async function join() {
  if (state.room || dom.join.dataset.joining) return;
  dom.join.dataset.joining = "1";
  dom.join.disabled = true;
  dom.joinHint.hidden = false;
  dom.joinHint.textContent = "Joining…";
  await state.devicesReady; // a camera still starting would otherwise be left behind
  state.check?.abort();
  state.check = null;
  meter.close();
  dom.preview.srcObject = null;
  const name = dom.name.value.trim().slice(0, 80);
  const devices = {
    audioId: state.audio?.getSettings().deviceId || dom.mic.value || undefined,
    videoId: state.video?.getSettings().deviceId || dom.camera.value || undefined,
    speakerId: dom.speakerField.hidden ? undefined : dom.speaker.value || undefined,
  };
  const seat = { name, audio: state.micOn, video: state.cameraOn, ...devices };
  remember(REJOIN_KEY, seat);
  const consent = Boolean(dom.consent?.checked);
  if (consent) remember(CONSENT_KEY, {});
  dom.prejoin.hidden = true;
  state.room = new Room({
    config,
    name,
    tracks: { audio: state.audio, video: state.video },
    enabled: { audio: state.micOn, video: state.cameraOn },
    devices,
    notices,
    consent,
    onFinished: (why) => {
      forget(REJOIN_KEY);
      if (why === "consent") forget(CONSENT_KEY); // the page asks again
    },
    onMediaChange: (local) => remember(REJOIN_KEY, { ...seat, ...local }), // a reload keeps them
  });
  // The room owns the tracks now; the pre-join handlers must not react to them any more.
  state.audio = null;
  state.video = null;
  state.room.start();
  byId("btn-rejoin").addEventListener("click", () => location.reload(), { once: true });
}

/** @returns {{name: string, audio: boolean, video: boolean, audioId?: string, videoId?: string, speakerId?: string}|null} */
function savedSeat() {
  return recall(REJOIN_KEY);
}

function consentGiven() {
  return recall(CONSENT_KEY) !== null;
}

/**
 * What this tab remembered for this link (sessionStorage), if recent enough.
 * @param {string} prefix
 * @returns {any}
 */
function recall(prefix) {
  try {
    const raw = sessionStorage.getItem(prefix + config.wsUrl);
    if (!raw) return null;
    const value = JSON.parse(raw);
    if (typeof value.at !== "number" || Date.now() - value.at > REJOIN_MAX_AGE_MS) return null;
    return value;
  } catch {
    return null; // storage may be blocked (private mode)
  }
}

/**
 * @param {string} prefix
 * @param {object} value
 */
function remember(prefix, value) {
  try {
    sessionStorage.setItem(prefix + config.wsUrl, JSON.stringify({ ...value, at: Date.now() }));
  } catch {
    // not fatal: a reload then shows the pre-join page again
  }
}

/** @param {string} prefix */
function forget(prefix) {
  try {
    sessionStorage.removeItem(prefix + config.wsUrl);
  } catch {
    // ignore
  }
}
