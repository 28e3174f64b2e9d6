// Cameras, microphones and speakers: opening them, listing them, and saying in plain words
// what to do when the browser refuses.

/** @typedef {"audio"|"video"} Kind */
/**
 * @typedef {object} Capture
 * @property {MediaStreamTrack|null} audio
 * @property {MediaStreamTrack|null} video
 * @property {{audio?: string, video?: string}} problems plain-language advice per kind
 */

const VIDEO = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/**
 * Constraints for one kind, pinned to a device when one was chosen.
 * @param {Kind} kind
 * @param {string} [deviceId]
 * @returns {MediaTrackConstraints}
 */
export function constraintsFor(kind, deviceId) {
  const base = kind === "video" ? { ...VIDEO } : { ...AUDIO };
  return deviceId ? { ...base, deviceId: { exact: deviceId } } : base;
}

/**
 * Plain advice for a getUserMedia/getDisplayMedia failure.
 * @param {unknown} error
 * @param {Kind} kind
 * @returns {string}
 */
export function adviceFor(error, kind) {
  const thing = kind === "video" ? "camera" : "microphone";
  const name = error instanceof Error || (error && typeof error === "object" && "name" in error)
    ? String(/** @type {{name: string}} */ (error).name)
    : "";
  switch (name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return `Your browser blocked the ${thing}. Allow ${thing} access in the address bar (the camera or lock icon), then press “Try again”.`;
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return `No ${thing} was found. Connect one (or check it is switched on), then press “Try again”.`;
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return `Your ${thing} is busy. Close other apps using the ${thing} (Zoom, Teams, another browser tab), then press “Try again”.`;
    case "TypeError":
      return `This browser cannot use the ${thing} on this page. Use a current Chrome, Edge, Firefox or Safari and open your link exactly as it was sent.`;
    default:
      return `The ${thing} could not start${name ? ` (${name})` : ""}. Reload the page, or try another browser.`;
  }
}

/**
 * Open one device, falling back to any device of that kind if the chosen one is gone.
 * @param {Kind} kind
 * @param {string} [deviceId]
 * @returns {Promise<MediaStreamTrack>}
 */
export async function openDevice(kind, deviceId) {
  if (!navigator.mediaDevices?.getUserMedia) throw new TypeError("getUserMedia is unavailable");
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraintsFor(kind, deviceId) });
    return stream.getTracks()[0];
  } catch (error) {
    if (deviceId && isName(error, "OverconstrainedError", "NotFoundError")) {
      return openDevice(kind, undefined);
    }
    throw error;
  }
}

/**
 * Open camera and microphone with one permission prompt; if that fails for a reason other than
 * a refusal, try each alone, so a busy camera still leaves a working microphone.
 * @param {{audioId?: string, videoId?: string, audio?: boolean, video?: boolean}} [wanted]
 * @returns {Promise<Capture>}
 */
export async function capture({ audioId, videoId, audio = true, video = true } = {}) {
  /** @type {Capture} */
  const result = { audio: null, video: null, problems: {} };
  if (!navigator.mediaDevices?.getUserMedia) {
    if (audio) result.problems.audio = adviceFor(new TypeError(), "audio");
    if (video) result.problems.video = adviceFor(new TypeError(), "video");
    return result;
  }
  if (!audio && !video) return result;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: audio && constraintsFor("audio", audioId),
      video: video && constraintsFor("video", videoId),
    });
    result.audio = stream.getAudioTracks()[0] ?? null;
    result.video = stream.getVideoTracks()[0] ?? null;
    return result;
  } catch (error) {
    if (isName(error, "NotAllowedError", "PermissionDeniedError", "SecurityError") || !(audio && video)) {
      // Asking again would only repeat the prompt the person just answered.
      if (audio) result.problems.audio = adviceFor(error, "audio");
      if (video) result.problems.video = adviceFor(error, "video");
      return result;
    }
  }
  for (const kind of /** @type {Kind[]} */ (["audio", "video"])) {
    try {
      result[kind] = await openDevice(kind, kind === "audio" ? audioId : videoId);
    } catch (error) {
      result.problems[kind] = adviceFor(error, kind);
    }
  }
  return result;
}

/**
 * The devices the browser will tell us about, by kind.
 * @returns {Promise<{audioinput: MediaDeviceInfo[], videoinput: MediaDeviceInfo[], audiooutput: MediaDeviceInfo[]}>}
 */
export async function listDevices() {
  const lists = { audioinput: [], videoinput: [], audiooutput: [] };
  if (!navigator.mediaDevices?.enumerateDevices) return lists;
  for (const device of await navigator.mediaDevices.enumerateDevices()) {
    // Chromium lists a "default" and a "communications" alias next to the real devices.
    if (device.deviceId === "" || device.deviceId === "communications") continue;
    lists[device.kind]?.push(device);
  }
  return lists;
}

/**
 * Whether this browser can route audio to a chosen speaker (Safari cannot, for example).
 * @returns {boolean}
 */
export function canChooseSpeaker() {
  return typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;
}

/**
 * Whether this browser can share a screen (most phones cannot).
 * @returns {boolean}
 */
export function canShareScreen() {
  return Boolean(navigator.mediaDevices && "getDisplayMedia" in navigator.mediaDevices);
}

/**
 * @param {unknown} error
 * @param {...string} names
 */
function isName(error, ...names) {
  return Boolean(error && typeof error === "object" && "name" in error && names.includes(String(error.name)));
}
