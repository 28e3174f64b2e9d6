// The candidate's one-way interview (docs/oneway.md): consent, the room's device and
// connection check, then each question: preparation countdown, recording (the server records
// what arrives over WebRTC and cuts at the limit), playback, record again or keep.
// Devices, meter, probe, peer and socket are the live room's modules, imported as they are.
import { capture } from "../room/devices.js";
import { LevelMeter, resumeAudioOnGesture } from "../room/meter.js";
import { Peer } from "../room/peer.js";
import { ConnectivityCheck } from "../room/probe.js";
import { Signaling, socketUrl } from "../room/signaling.js";

const STATUS_TEXT = { pending: "Not started", running: "Checking", ok: "OK", warn: "Warning", fail: "Problem" };
const config = JSON.parse(document.getElementById("answer-config")?.textContent ?? "{}");

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const dom = {
  intro: $("step-intro"), check: $("step-check"), question: $("step-question"), done: $("step-done"),
  consent: /** @type {HTMLInputElement} */ ($("f-consent")), introHint: $("intro-hint"),
  introButton: $("btn-intro"), checkButton: $("btn-check"),
  preview: /** @type {HTMLVideoElement} */ ($("preview")), live: /** @type {HTMLVideoElement} */ ($("live")),
  playback: /** @type {HTMLVideoElement} */ ($("playback")), meterBar: $("mic-meter-bar"),
  problems: $("media-problems"), progress: $("progress"), title: $("question-title"),
  text: $("question-text"), notice: $("notice"), timer: $("timer"), status: $("status"),
  recBadge: $("rec-badge"), start: $("btn-start"), stop: $("btn-stop"), keep: $("btn-keep"),
  again: $("btn-again"), practiceDone: $("btn-practice-done"), takeOver: $("btn-take-over"),
  announcer: $("announcer"),
};

const state = {
  /** @type {{audio: MediaStreamTrack|null, video: MediaStreamTrack|null}} */ tracks: { audio: null, video: null },
  /** @type {Signaling|null} */ socket: null,
  /** @type {Peer|null} */ peer: null,
  /** @type {any} */ welcome: null,
  /** @type {any[]} */ takes: [],
  /** @type {any|null} */ question: null, // the question on screen
  /** @type {number|null} */ recording: null, // the take being recorded
  /** @type {any|null} */ lastTake: null, // the finished take on screen
  practiced: false,
  joined: false,
  /** @type {ReturnType<typeof setInterval>|null} */ ticker: null,
  /** @type {ConnectivityCheck|null} */ check: null,
};

// For support staff and tests: the live objects behind the page.
Object.defineProperty(window, "liveInterview", {
  value: Object.freeze({
    get state() { return state; },
    get peer() { return state.peer; },
  }),
});

/** @param {HTMLElement} section */
function show(section) {
  for (const step of [dom.intro, dom.check, dom.question, dom.done]) step.hidden = step !== section;
  section.querySelector("h1")?.focus?.();
}

/** @param {string} text */
function announce(text) {
  dom.announcer.textContent = text;
}

/** m:ss; a countdown rounds up, a length down (as video players show it).
 * @param {number} ms @param {(x: number) => number} [round] */
function clock(ms, round = Math.ceil) {
  const seconds = Math.max(0, round(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function stopTicker() {
  if (state.ticker) clearInterval(state.ticker);
  state.ticker = null;
}

/**
 * Count down (or up) on the timer line until `ms` have passed.
 * @param {number} ms
 * @param {(left: number) => string} text
 * @param {() => void} [onEnd]
 */
function tick(ms, text, onEnd) {
  stopTicker();
  const end = performance.now() + ms;
  const update = () => {
    const left = end - performance.now();
    dom.timer.textContent = text(left);
    if (left <= 0) {
      stopTicker();
      onEnd?.();
    }
  };
  update();
  state.ticker = setInterval(update, 250);
}

/** @param {...HTMLElement} visible */
function buttons(...visible) {
  for (const button of [dom.start, dom.stop, dom.keep, dom.again, dom.practiceDone, dom.takeOver]) {
    button.hidden = !visible.includes(button);
    /** @type {HTMLButtonElement} */ (button).disabled = false;
  }
}

// --- step 1: instructions and consent ------------------------------------------------------

const deadline = new Date(config.deadline);
if (!Number.isNaN(deadline.getTime())) {
  $("deadline").textContent = deadline.toLocaleString(undefined, { dateStyle: "full", timeStyle: "short" });
}

dom.introButton.addEventListener("click", () => {
  if (!dom.consent.checked) {
    dom.introHint.hidden = false;
    dom.consent.focus();
    return;
  }
  show(dom.check);
  startCheck().catch((error) => console.error("device check", error));
});

// --- step 2: devices and connection ----------------------------------------------------------

const meter = new LevelMeter((level) => {
  dom.meterBar.style.width = `${Math.round(level * 100)}%`;
});

async function startCheck() {
  resumeAudioOnGesture();
  const result = await capture();
  state.tracks = { audio: result.audio, video: result.video };
  const problems = Object.values(result.problems);
  dom.problems.hidden = problems.length === 0;
  dom.problems.textContent = problems.join(" ");
  if (result.video) {
    dom.preview.srcObject = new MediaStream([result.video]);
    dom.live.srcObject = new MediaStream([result.video]);
  }
  meter.attach(result.audio);
  state.check = new ConnectivityCheck({
    wsUrl: config.wsUrl,
    iceServers: config.iceServers ?? [],
    cameraTrack: result.video,
    onUpdate: (report) => {
      for (const which of /** @type {const} */ (["signaling", "media"])) {
        const line = report[which];
        const node = $(`check-${which}`);
        node.dataset.status = line.status;
        /** @type {HTMLElement} */ (node.querySelector(".check-status")).textContent = STATUS_TEXT[line.status];
        /** @type {HTMLElement} */ (node.querySelector(".check-summary")).textContent = line.summary;
        const advice = /** @type {HTMLElement} */ (node.querySelector(".check-advice"));
        advice.hidden = !line.advice;
        advice.textContent = line.advice ?? "";
      }
    },
  });
  state.check.run();
}

dom.checkButton.addEventListener("click", () => {
  state.check?.abort();
  show(dom.question);
  dom.status.textContent = "Connecting to the interview server…";
  connect();
});

// --- the answer socket -------------------------------------------------------------------------

function connect() {
  const socket = new Signaling(socketUrl(config.wsUrl));
  state.socket = socket;
  socket.on("open", () => {
    state.peer?.close();
    state.peer = null;
    // A reconnection of this tab takes its interview back (the old socket may linger).
    socket.send({ type: "join", consent: true, take_over: state.joined });
  });
  socket.on("welcome", (welcome) => onWelcome(welcome));
  socket.on("offer", (offer) => state.peer?.handleOffer(offer));
  socket.on("take-started", (message) => onTakeStarted(message));
  socket.on("take-stopped", (message) => onTakeStopped(message));
  socket.on("kept", (message) => onKept(message));
  socket.on("completed", () => finish());
  socket.on("error", (message) => onError(message));
  socket.on("state", ({ state: socketState }) => {
    if (socketState === "reconnecting") {
      dom.status.textContent = "Connection lost; reconnecting…";
      stopRecordingUi();
    } else if (socketState === "replaced") {
      dom.status.textContent = "This interview continues in another tab or window.";
      buttons();
    } else if (socketState === "refused") {
      buttons();
    }
  });
  socket.start();
}

/** @param {any} welcome */
function onWelcome(welcome) {
  state.joined = true;
  state.welcome = welcome;
  state.takes = welcome.takes;
  const peer = new Peer({
    iceServers: welcome.ice_servers ?? [],
    send: (message) => Boolean(state.socket?.send(message)),
  });
  state.peer = peer;
  peer.setLocalTrack("microphone", state.tracks.audio);
  peer.setLocalTrack("camera", state.tracks.video);
  dom.notice.hidden = !welcome.notice;
  dom.notice.textContent = welcome.notice ?? "";
  dom.status.textContent = "";
  if (welcome.current === null) {
    finish();
    return;
  }
  const practice = welcome.questions.find((/** @type {any} */ q) => q.practice);
  const answeredAny = welcome.takes.some((/** @type {any} */ t) => t.question >= 0);
  if (practice && !state.practiced && !answeredAny) {
    prepare(practice);
    return;
  }
  const current = questionAt(welcome.current);
  const done = state.takes.filter((t) => t.question === current.index && t.status === "done");
  if (done.length) review(current, done[done.length - 1]);
  else prepare(current);
}

/** @param {number} index */
function questionAt(index) {
  return state.welcome.questions.find((/** @type {any} */ q) => q.index === index);
}

/** @param {any} question */
function attemptsLeft(question) {
  if (question.practice) return Infinity;
  const used = state.takes.filter((t) => t.question === question.index && t.status !== "discarded").length;
  return question.attempts - used;
}

/** @param {any} question */
function showQuestion(question) {
  state.question = question;
  const total = state.welcome.questions.filter((/** @type {any} */ q) => !q.practice).length;
  dom.title.textContent = question.practice ? "Practice question" : `Question ${question.index + 1} of ${total}`;
  dom.progress.textContent = question.practice
    ? "Nobody else sees the practice answer; it is deleted when you move on."
    : `Up to ${clock(question.answer_seconds * 1000)} to answer · ${question.attempts} attempt${question.attempts === 1 ? "" : "s"}`;
  dom.text.textContent = question.text;
  dom.playback.hidden = true;
  dom.playback.removeAttribute("src");
  dom.live.hidden = false;
}

/** @param {any} question */
function prepare(question) {
  showQuestion(question);
  // The practice is optional: the interview can start without it.
  if (question.practice) buttons(dom.start, dom.practiceDone);
  else buttons(dom.start);
  dom.status.textContent = question.practice
    ? "Try it out: recording starts when the countdown ends. Or skip it and start the interview."
    : "Prepare your answer; recording starts when the countdown ends.";
  tick(question.prep_seconds * 1000, (left) => `Recording starts in ${clock(left)}`, () => startTake());
}

async function startTake() {
  stopTicker();
  const question = state.question;
  if (!question || state.recording !== null) return;
  buttons();
  dom.status.textContent = "Starting…";
  try {
    await state.peer?.connected(15000);
  } catch {
    dom.status.textContent = "The video connection to the server is not working. Reload the page to try again.";
    buttons(dom.start);
    return;
  }
  state.socket?.send({ type: "take-start", question: question.index });
}

dom.start.addEventListener("click", () => startTake());

/** @param {any} message */
function onTakeStarted(message) {
  state.recording = message.take;
  dom.recBadge.hidden = false;
  buttons(dom.stop);
  dom.status.textContent = "Recording. Stop when you are done; it stops by itself at the limit.";
  announce("Recording started.");
  tick(message.limit_ms, (left) => `${clock(message.limit_ms - left)} / ${clock(message.limit_ms)}`);
}

dom.stop.addEventListener("click", () => {
  if (state.recording === null) return;
  /** @type {HTMLButtonElement} */ (dom.stop).disabled = true;
  dom.status.textContent = "Saving your answer…";
  state.socket?.send({ type: "take-stop", take: state.recording });
});

function stopRecordingUi() {
  stopTicker();
  state.recording = null;
  dom.recBadge.hidden = true;
}

/** @param {any} message */
function onTakeStopped(message) {
  stopRecordingUi();
  const take = message.take;
  state.takes = [...state.takes.filter((t) => t.id !== take.id), take];
  announce(message.reason === "limit" ? "Time is up; recording stopped." : "Recording stopped.");
  const question = questionAt(take.question) ?? state.question;
  if (take.status === "discarded") {
    prepare(question);
    return;
  }
  review(question, take);
}

/**
 * @param {any} question
 * @param {any} take
 */
function review(question, take) {
  showQuestion(question);
  state.lastTake = take;
  dom.live.hidden = true;
  dom.playback.hidden = false;
  if (take.url) dom.playback.src = take.url;
  dom.timer.textContent = take.duration_ms ? `Length ${clock(take.duration_ms, Math.floor)}` : "";
  if (question.practice) {
    state.practiced = true;
    dom.again.textContent = "Practise again";
    buttons(dom.practiceDone, dom.again);
    dom.status.textContent = "Watch your practice answer. It is deleted when you start the interview.";
    return;
  }
  const left = attemptsLeft(question);
  dom.again.textContent = left > 0 ? `Record again (${left} attempt${left === 1 ? "" : "s"} left)` : "Record again";
  if (left > 0) buttons(dom.keep, dom.again);
  else buttons(dom.keep);
  dom.status.textContent = left > 0
    ? "Watch your answer, then keep it or record it again."
    : "That was your last attempt: keep this answer to continue.";
}

dom.again.addEventListener("click", () => {
  if (state.question) prepare(state.question);
});

dom.keep.addEventListener("click", () => {
  if (!state.lastTake) return;
  /** @type {HTMLButtonElement} */ (dom.keep).disabled = true;
  state.socket?.send({ type: "keep", take: state.lastTake.id });
});

dom.practiceDone.addEventListener("click", () => {
  stopTicker();
  const current = questionAt(state.welcome.current);
  if (current) prepare(current);
});

/** @param {any} message */
function onKept(message) {
  state.takes = state.takes.map((t) => {
    if (t.id === message.take) return { ...t, status: "kept" };
    if (t.question === message.question && t.status === "done") return { ...t, status: "not_kept" };
    return t;
  });
  state.welcome.current = message.current;
  dom.notice.hidden = true;
  if (message.completed || message.current === null) {
    finish();
    return;
  }
  announce("Answer kept.");
  prepare(questionAt(message.current));
}

function finish() {
  stopTicker();
  state.peer?.close();
  state.socket?.close();
  for (const track of Object.values(state.tracks)) track?.stop();
  meter.attach(null);
  show(dom.done);
}

/** @param {any} message */
function onError(message) {
  if (message.code === "busy") {
    dom.status.textContent = message.message;
    buttons(dom.takeOver);
    return;
  }
  if (message.in_reply_to === "take-start") {
    stopRecordingUi();
    dom.status.textContent = message.message;
    if (state.question && attemptsLeft(state.question) > 0 && message.code !== "closed") buttons(dom.start);
    else buttons();
    return;
  }
  // Anything else (a refused keep, nothing recorded, a closed link...): say it as it is.
  dom.status.textContent = message.message;
  /** @type {HTMLButtonElement} */ (dom.keep).disabled = false;
}

dom.takeOver.addEventListener("click", () => {
  buttons();
  state.socket?.send({ type: "join", consent: true, take_over: true });
});
