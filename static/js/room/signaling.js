// The participant's WebSocket to the server (docs/signaling.md): JSON messages, a keep-alive
// ping, a client-side rate limit under the server's, and reconnection with backoff.

/**
 * @typedef {"connecting"|"open"|"reconnecting"|"closed"|"refused"|"replaced"} SocketState
 * @typedef {{type: string, [field: string]: any}} Message
 */

/**
 * Server close codes after which trying again cannot help. Not in docs/signaling.md yet;
 * these are the codes signaling/ws.py and signaling/hub.py use.
 */
const FINAL_CODES = new Map([
  [1008, "refused"], // misbehaving client, or no join in time
  [4003, "refused"], // join refused (room full, ended...); an `error` says why first
  [4000, "replaced"], // a newer connection for the same seat took over (another tab)
]);

/**
 * Turn the page's ws_url (absolute ws(s)://, http(s)://, or a path) into a WebSocket URL.
 * @param {string} url
 * @param {string} [base] defaults to the page's address
 * @param {Record<string, string>} [query] extra query parameters (e.g. {probe: "1"})
 * @returns {string}
 */
export function socketUrl(url, base = location.href, query = {}) {
  const resolved = new URL(url, base);
  if (resolved.protocol === "http:") resolved.protocol = "ws:";
  if (resolved.protocol === "https:") resolved.protocol = "wss:";
  for (const [key, value] of Object.entries(query)) resolved.searchParams.set(key, value);
  return resolved.toString();
}

/**
 * Delay before reconnection attempt `attempt` (0-based): 0.5 s doubling to 15 s, ±30 % jitter
 * so a server restart is not met by every browser at the same instant.
 * @param {number} attempt
 * @param {() => number} [random]
 * @returns {number} milliseconds
 */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(15000, 500 * 2 ** attempt);
  return Math.round(base * (0.7 + 0.6 * random()));
}

export class Signaling {
  /**
   * @param {string} url a ws:// or wss:// URL (see socketUrl)
   * @param {{reconnect?: boolean, pingEveryMs?: number, deadAfterMs?: number, openTimeoutMs?: number}} [options]
   */
  constructor(url, { reconnect = true, pingEveryMs = 10000, deadAfterMs = 25000, openTimeoutMs = 10000 } = {}) {
    this.url = url;
    this.reconnect = reconnect;
    this.pingEveryMs = pingEveryMs;
    this.deadAfterMs = deadAfterMs;
    this.openTimeoutMs = openTimeoutMs;
    /** @type {WebSocket|null} */
    this.socket = null;
    /** @type {SocketState} */
    this.state = "closed";
    this.attempt = 0;
    this.lastHeard = 0;
    this.openedAt = 0;
    /** @type {Map<string, Set<(message: any) => any>>} */
    this.handlers = new Map();
    /** @type {Map<number, (rttMs: number) => void>} */
    this.pendingPings = new Map();
    /** @type {string[]} */
    this.outbox = [];
    // Token bucket a little under the server's limit (bursts of ~20, ~10/s).
    this.tokens = 15;
    this.refilledAt = performance.now();
    /** @type {ReturnType<typeof setTimeout>|null} */
    this.retryTimer = null;
    /** @type {ReturnType<typeof setTimeout>|null} */
    this.flushTimer = null;
    /** @type {ReturnType<typeof setTimeout>|null} */
    this.openTimer = null;
    /** @type {ReturnType<typeof setInterval>|null} */
    this.keepAlive = null;
    this.onOnline = () => {
      if (this.state === "reconnecting") this.#retryNow();
    };
  }

  /**
   * Listen for a server message type, or for the pseudo-events "open" (each (re)connection)
   * and "state" ({state, code, reason}). Handler errors are logged, never thrown.
   * @param {string} type
   * @param {(message: any) => any} handler
   * @returns {() => void} unsubscribe
   */
  on(type, handler) {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(handler);
    return () => set?.delete(handler);
  }

  /** Open the socket (and keep it open until close()). */
  start() {
    window.addEventListener("online", this.onOnline);
    this.keepAlive = setInterval(() => this.#checkAlive(), this.pingEveryMs);
    this.#connect();
  }

  /**
   * Send a message now, or shortly if the rate limit says wait.
   * @param {Message} message
   * @returns {boolean} false when there is no open connection (nothing is queued then)
   */
  send(message) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.outbox.push(JSON.stringify(message));
    this.#flush();
    return true;
  }

  /**
   * Measure the round trip to the server.
   * @param {number} [timeoutMs]
   * @returns {Promise<number>} milliseconds
   */
  ping(timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const t = Math.round(performance.now() * 1000) / 1000;
      if (!this.send({ type: "ping", t })) {
        reject(new Error("not connected"));
        return;
      }
      const timer = setTimeout(() => {
        this.pendingPings.delete(t);
        reject(new Error("no pong"));
      }, timeoutMs);
      this.pendingPings.set(t, (rtt) => {
        clearTimeout(timer);
        resolve(rtt);
      });
    });
  }

  /**
   * Drop the current connection on purpose and open a new one (the server then re-offers).
   * Goes through the backoff, so a problem that keeps coming back does not spin.
   */
  restart() {
    if (this.state === "closed" || this.state === "refused" || this.state === "replaced") return;
    this.#abandon();
    this.#scheduleRetry();
  }

  /**
   * Close for good (after `leave`, `ended`, or when the page is done with the socket).
   * @param {number} [code]
   */
  close(code = 1000) {
    this.reconnect = false;
    window.removeEventListener("online", this.onOnline);
    if (this.keepAlive) clearInterval(this.keepAlive);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    // Whatever the rate limit held back (e.g. `leave`) goes out before the close frame.
    if (socket?.readyState === WebSocket.OPEN) {
      for (const frame of this.outbox.splice(0)) socket.send(frame);
    }
    this.#abandon();
    try {
      socket?.close(code);
    } catch {
      // already closing
    }
    this.#setState("closed", { code });
  }

  #connect() {
    this.#setState(this.attempt === 0 && this.openedAt === 0 ? "connecting" : "reconnecting", {});
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      console.error("signaling: cannot open", this.url, error);
      this.#scheduleRetry();
      return;
    }
    this.socket = socket;
    this.openTimer = setTimeout(() => {
      if (this.socket === socket && socket.readyState !== WebSocket.OPEN) {
        this.#abandon();
        this.#scheduleRetry();
      }
    }, this.openTimeoutMs);
    socket.addEventListener("open", () => {
      if (this.socket !== socket) return;
      if (this.openTimer) clearTimeout(this.openTimer);
      this.openedAt = performance.now();
      this.lastHeard = this.openedAt;
      this.#setState("open", {});
      this.#emit("open", {});
    });
    socket.addEventListener("message", (event) => {
      if (this.socket !== socket) return;
      this.lastHeard = performance.now();
      this.#receive(event.data);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.#abandon();
      const final = FINAL_CODES.get(event.code);
      if (final) {
        console.warn(`signaling: closed by the server (${event.code} ${event.reason})`);
        this.reconnect = false;
        this.#setState(/** @type {SocketState} */ (final), { code: event.code, reason: event.reason });
        return;
      }
      this.#scheduleRetry(event.code, event.reason);
    });
    // "error" is always followed by "close"; nothing to do here but keep the console quiet.
    socket.addEventListener("error", () => {});
  }

  /** @param {unknown} data */
  #receive(data) {
    if (typeof data !== "string") return;
    /** @type {Message} */
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      console.warn("signaling: ignoring a frame that is not JSON");
      return;
    }
    if (!message || typeof message !== "object" || typeof message.type !== "string") return;
    if (message.type === "pong" && typeof message.t === "number") {
      const resolve = this.pendingPings.get(message.t);
      if (resolve) {
        this.pendingPings.delete(message.t);
        resolve(performance.now() - message.t);
      }
    }
    if (message.type === "error") {
      console.warn(`server error ${message.code}: ${message.message}`, message.in_reply_to ?? "");
    }
    this.#emit(message.type, message); // types nobody listens to are simply ignored
  }

  /**
   * @param {string} type
   * @param {any} payload
   */
  #emit(type, payload) {
    for (const handler of this.handlers.get(type) ?? []) {
      try {
        Promise.resolve(handler(payload)).catch((error) => console.error(`signaling: ${type} handler`, error));
      } catch (error) {
        console.error(`signaling: ${type} handler`, error);
      }
    }
  }

  /**
   * @param {SocketState} state
   * @param {{code?: number, reason?: string}} detail
   */
  #setState(state, detail) {
    if (this.state === state) return;
    this.state = state;
    this.#emit("state", { state, ...detail });
  }

  #flush() {
    const now = performance.now();
    this.tokens = Math.min(15, this.tokens + ((now - this.refilledAt) / 1000) * 8);
    this.refilledAt = now;
    while (this.outbox.length && this.tokens >= 1) {
      const frame = /** @type {string} */ (this.outbox.shift());
      this.tokens -= 1;
      try {
        this.socket?.send(frame);
      } catch (error) {
        console.warn("signaling: send failed", error);
      }
    }
    if (this.outbox.length && !this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        this.#flush();
      }, 130);
    }
  }

  #checkAlive() {
    if (this.state !== "open") return;
    if (performance.now() - this.lastHeard > this.deadAfterMs) {
      // A dead network rarely closes the socket by itself: give up on it and dial again.
      console.warn("signaling: no answer from the server; reconnecting");
      this.#abandon();
      this.#scheduleRetry();
      return;
    }
    this.ping().catch(() => {});
  }

  /** Forget the current socket without waiting for a close handshake that may never come. */
  #abandon() {
    if (this.openTimer) clearTimeout(this.openTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.outbox = []; // answers and candidates for a lost connection mean nothing to the next
    this.pendingPings.clear();
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState < WebSocket.CLOSING) {
      try {
        socket.close(1000, "reconnecting"); // without `leave` the server holds our seat
      } catch {
        // ignore
      }
    }
  }

  /**
   * @param {number} [code]
   * @param {string} [reason]
   */
  #scheduleRetry(code, reason) {
    if (!this.reconnect) {
      this.#setState("closed", { code, reason });
      return;
    }
    // A connection that lived a while was healthy: start the backoff from the beginning.
    if (this.openedAt && performance.now() - this.openedAt > 10000) this.attempt = 0;
    const delay = backoffDelay(this.attempt++);
    this.#setState("reconnecting", { code, reason });
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #retryNow() {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.reconnect) this.#connect();
  }
}
