// Entry point of the review page: seeking from the timeline and chat, the chat in step with
// the video, status polling while the video is prepared, copy buttons and the delete dialog.
import { confirmBeforeSubmit } from "./confirm.js";
import { Player, parseTime, spokenTime } from "./player.js";
import { StatusPoller } from "./status.js";
import { TimelineFilter, placeMarkers } from "./timeline.js";
import { PlayheadList } from "./transcript.js";

const page = /** @type {HTMLElement} */ (document.getElementById("review"));
const announcer = /** @type {HTMLElement} */ (document.getElementById("review-announcer"));

/** @param {string} text */
function announce(text) {
  announcer.textContent = "";
  setTimeout(() => {
    announcer.textContent = text;
  }, 50);
}

/** @template {HTMLElement} T @param {string} id @returns {T|null} */
function optional(id) {
  return /** @type {T|null} */ (document.getElementById(id));
}

const video = optional("player");
const timeline = optional("timeline");
const chat = optional("chat");
const player = video ? new Player(/** @type {HTMLVideoElement} */ (video)) : null;
const lists = [timeline, chat].filter((list) => list !== null).map((list) => new PlayheadList(/** @type {HTMLElement} */ (list)));

/**
 * @param {number} seconds
 * @param {{say?: boolean}} [options]
 */
async function jump(seconds, { say = true } = {}) {
  if (!player) return;
  const at = await player.seek(seconds);
  for (const list of lists) list.update(at);
  if (say) announce(`Video at ${spokenTime(at)}.`);
}

if (player && video) {
  const follow = () => {
    for (const list of lists) list.update(/** @type {HTMLVideoElement} */ (video).currentTime);
  };
  video.addEventListener("timeupdate", follow);
  video.addEventListener("seeked", follow);
  // Timeline and chat times are "#t=" links: seek instead of navigating, and keep the address
  // shareable without adding a history entry per click.
  page.addEventListener("click", (event) => {
    const link = /** @type {HTMLElement|null} */ (event.target instanceof Element ? event.target.closest("a.jump") : null);
    if (!link) return;
    const seconds = parseTime(link.getAttribute("href") ?? "");
    if (seconds === null) return;
    event.preventDefault();
    history.replaceState(null, "", `#t=${seconds}`);
    jump(seconds).catch((error) => console.error("review: seek", error));
  });
  const fromAddress = () => {
    const seconds = parseTime(location.hash);
    if (seconds !== null) jump(seconds, { say: false }).catch((error) => console.error("review: seek", error));
  };
  window.addEventListener("hashchange", fromAddress);
  fromAddress();
  const bar = optional("markers");
  const showMarkers = () => {
    if (bar && timeline) placeMarkers(bar, timeline, /** @type {HTMLVideoElement} */ (video).duration, (s) => jump(s));
  };
  if (video.readyState >= HTMLMediaElement.HAVE_METADATA) showMarkers();
  else video.addEventListener("loadedmetadata", showMarkers, { once: true });
}

const filter = optional("timeline-filter");
if (filter && timeline) new TimelineFilter(/** @type {HTMLFieldSetElement} */ (filter), timeline);

// Moments (share link expiry, consents, events outside the video) in the viewer's own zone.
for (const node of /** @type {NodeListOf<HTMLTimeElement>} */ (document.querySelectorAll("time[data-local]"))) {
  const moment = new Date(node.dateTime);
  if (Number.isNaN(moment.getTime())) continue;
  node.textContent =
    node.dataset.local === "time"
      ? moment.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
      : moment.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

const statusUrl = page.dataset.statusUrl;
if (statusUrl) {
  const bar = /** @type {HTMLProgressElement|null} */ (optional("status-progress"));
  const text = optional("status-text");
  const status = page.dataset.status ?? "";
  new StatusPoller({
    url: statusUrl,
    current: status,
    // A call still being recorded may go on for an hour; composing takes minutes.
    everyMs: status === "recording" ? 15000 : 3000,
    onProgress: (progress) => {
      const percent = Math.round(progress * 100);
      if (bar) bar.value = percent;
      if (text) text.textContent = `${percent} % done. This page shows the video as soon as it is ready.`;
    },
    onChange: (report) => {
      announce(report.status === "ready" ? "The video is ready. Loading it…" : "The recording's status changed. Reloading…");
      location.reload();
    },
  }).start();
}

for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll("button.copy[data-copy]"))) {
  const input = /** @type {HTMLInputElement|null} */ (document.getElementById(button.dataset.copy ?? ""));
  if (!input) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      announce("Share link copied.");
    } catch {
      input.focus();
      input.select();
      announce("Press Control+C to copy the selected link.");
    }
  });
}

const deleteForm = /** @type {HTMLFormElement|null} */ (optional("delete-form"));
const deleteDialog = /** @type {HTMLDialogElement|null} */ (optional("delete-dialog"));
const deleteBox = /** @type {HTMLInputElement|null} */ (optional("f-delete-confirm"));
const deleteField = optional("delete-confirm-field");
if (deleteForm && deleteDialog && deleteBox && deleteField) confirmBeforeSubmit(deleteForm, deleteDialog, deleteBox, deleteField);
