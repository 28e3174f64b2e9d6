// What the server tells the page, from <script type="application/json" id="room-config">.

/**
 * @typedef {object} RoomConfig
 * @property {string} wsUrl the participant's signaling socket (ws(s):// URL or a path)
 * @property {RTCIceServer[]} iceServers for the pre-join check (the room uses welcome's)
 * @property {"candidate"|"interviewer"} role
 * @property {string} name the display name to prefill
 * @property {string|null} opensAt ISO 8601: the room is not open yet, count down to this
 * @property {string|null} serverNow ISO 8601: the server's clock when it rendered the page
 * @property {boolean} recorded
 */

/**
 * Read and check the page's configuration.
 * @param {Document} [doc]
 * @returns {RoomConfig}
 */
export function readConfig(doc = document) {
  const node = doc.getElementById("room-config");
  if (!node?.textContent) throw new Error("#room-config is missing");
  const raw = JSON.parse(node.textContent);
  if (typeof raw.wsUrl !== "string" || !raw.wsUrl) throw new Error("room-config: wsUrl is required");
  return {
    wsUrl: raw.wsUrl,
    iceServers: Array.isArray(raw.iceServers) ? raw.iceServers : [],
    role: raw.role === "interviewer" ? "interviewer" : "candidate",
    name: typeof raw.name === "string" ? raw.name : "",
    opensAt: typeof raw.opensAt === "string" ? raw.opensAt : null,
    serverNow: typeof raw.serverNow === "string" ? raw.serverNow : null,
    recorded: Boolean(raw.recorded),
  };
}
