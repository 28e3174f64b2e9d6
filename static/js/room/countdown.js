// Until the room opens: a countdown against the server's clock rather than the browser's.

/**
 * "1 h 04 min", "4 min 05 s", "12 s".
 * @param {number} ms
 * @returns {string}
 */
export function formatDuration(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, "0")} min`;
  if (m > 0) return `${m} min ${String(s).padStart(2, "0")} s`;
  return `${s} s`;
}

/**
 * Tick once a second until `opensAt`, then call onOpen once.
 * @param {object} options
 * @param {string} options.opensAt ISO 8601
 * @param {string|null} options.serverNow ISO 8601: the server's clock when the page was made
 * @param {(remainingMs: number) => void} options.onTick
 * @param {() => void} options.onOpen
 * @returns {() => void} stops the countdown
 */
export function countDown({ opensAt, serverNow, onTick, onOpen }) {
  const target = Date.parse(opensAt);
  const skew = serverNow ? Date.parse(serverNow) - Date.now() : 0; // a wrong local clock
  const tick = () => {
    const left = target - (Date.now() + (Number.isNaN(skew) ? 0 : skew));
    if (left <= 0 || Number.isNaN(left)) {
      clearInterval(timer);
      onOpen();
      return;
    }
    onTick(left);
  };
  const timer = setInterval(tick, 1000);
  tick();
  return () => clearInterval(timer);
}
