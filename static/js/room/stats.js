// Reading RTCPeerConnection.getStats() the same way in Chromium, Firefox and Safari.

/**
 * @typedef {object} PathStats
 * @property {number|null} rttMs current round-trip time of the selected candidate pair
 * @property {boolean|null} relayed whether either end of the selected pair is a TURN relay
 * @property {string|null} localType host / srflx / prflx / relay
 * @property {string|null} remoteType
 * @property {number} framesDecoded summed over all inbound video
 * @property {number} packetsReceived summed over all inbound RTP
 * @property {number} packetsLost summed over all inbound RTP
 * @property {number|null} remoteLoss worst fractionLost (0..1) the server reports about what we send
 */

/**
 * The selected candidate pair: Chromium and Safari name it on the transport; Firefox marks
 * the pair itself (`selected`); otherwise the nominated, succeeded pair.
 * @param {RTCStatsReport} report
 * @returns {any|null}
 */
export function selectedPair(report) {
  /** @type {any[]} */
  const pairs = [];
  for (const stat of report.values()) {
    if (stat.type === "transport" && stat.selectedCandidatePairId) {
      const pair = report.get(stat.selectedCandidatePairId);
      if (pair) return pair;
    }
    if (stat.type === "candidate-pair") pairs.push(stat);
  }
  return (
    pairs.find((pair) => pair.selected) ??
    pairs.find((pair) => pair.nominated && pair.state === "succeeded") ??
    null
  );
}

/**
 * Summarise a stats report.
 * @param {RTCStatsReport} report
 * @returns {PathStats}
 */
export function summarise(report) {
  const pair = selectedPair(report);
  const local = pair ? report.get(pair.localCandidateId) : null;
  const remote = pair ? report.get(pair.remoteCandidateId) : null;
  /** @type {PathStats} */
  const summary = {
    rttMs: typeof pair?.currentRoundTripTime === "number" ? pair.currentRoundTripTime * 1000 : null,
    relayed: pair ? local?.candidateType === "relay" || remote?.candidateType === "relay" : null,
    localType: local?.candidateType ?? null,
    remoteType: remote?.candidateType ?? null,
    framesDecoded: 0,
    packetsReceived: 0,
    packetsLost: 0,
    remoteLoss: null,
  };
  for (const stat of report.values()) {
    if (stat.type === "inbound-rtp" && !stat.isRemote) {
      if (stat.kind === "video" || stat.mediaType === "video") summary.framesDecoded += stat.framesDecoded ?? 0;
      summary.packetsReceived += stat.packetsReceived ?? 0;
      summary.packetsLost += Math.max(0, stat.packetsLost ?? 0);
    }
    if (stat.type === "remote-inbound-rtp" && typeof stat.fractionLost === "number") {
      summary.remoteLoss = Math.max(summary.remoteLoss ?? 0, stat.fractionLost);
    }
    if (summary.rttMs === null && stat.type === "remote-inbound-rtp" && typeof stat.roundTripTime === "number") {
      summary.rttMs = stat.roundTripTime * 1000; // Firefox may lack the pair's RTT
    }
  }
  return summary;
}

/**
 * Frames decoded so far by one receiver.
 * @param {RTCRtpReceiver} receiver
 * @returns {Promise<number>}
 */
export async function framesDecoded(receiver) {
  let frames = 0;
  for (const stat of (await receiver.getStats()).values()) {
    if (stat.type === "inbound-rtp") frames += stat.framesDecoded ?? 0;
  }
  return frames;
}

/**
 * Connection quality as the others will see it.
 * @param {{rttMs: number|null, lossRatio: number|null, connected: boolean}} sample
 * @returns {"good"|"fair"|"poor"}
 */
export function qualityLevel({ rttMs, lossRatio, connected }) {
  if (!connected) return "poor";
  const rtt = rttMs ?? 0;
  const loss = lossRatio ?? 0;
  if (rtt > 500 || loss > 0.08) return "poor";
  if (rtt > 250 || loss > 0.02) return "fair";
  return "good";
}

export class QualityTracker {
  constructor() {
    this.previous = { received: 0, lost: 0 };
  }

  /**
   * Quality from one new report, using packet counts since the previous report.
   * @param {PathStats} summary
   * @param {boolean} connected
   * @returns {{level: "good"|"fair"|"poor", rttMs: number|null}}
   */
  update(summary, connected) {
    const received = summary.packetsReceived - this.previous.received;
    const lost = summary.packetsLost - this.previous.lost;
    this.previous = { received: summary.packetsReceived, lost: summary.packetsLost };
    const inbound = received + lost > 0 ? lost / (received + lost) : null;
    const lossRatio = Math.max(inbound ?? 0, summary.remoteLoss ?? 0);
    return { level: qualityLevel({ rttMs: summary.rttMs, lossRatio, connected }), rttMs: summary.rttMs };
  }
}
