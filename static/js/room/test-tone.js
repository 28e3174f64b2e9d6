// "Play test sound" for the speaker choice: a short chime made here, nothing to download.

/**
 * Play the chime on a chosen output device (where the browser can choose one).
 * @param {string} [sinkId]
 * @returns {Promise<void>}
 */
export async function playTestTone(sinkId) {
  // A blob: URL, because the site's Content-Security-Policy allows media from blob: but not data:.
  const url = URL.createObjectURL(chime());
  const audio = new Audio(url);
  audio.addEventListener("ended", () => URL.revokeObjectURL(url), { once: true });
  const sinkable = /** @type {HTMLAudioElement & {setSinkId?: (id: string) => Promise<void>}} */ (audio);
  if (sinkId && sinkable.setSinkId) await sinkable.setSinkId(sinkId);
  await audio.play();
}

/** Two notes, 0.8 s, as a 16-bit mono WAV file. */
function chime() {
  const rate = 22050;
  const samples = Math.floor(rate * 0.8);
  const bytes = new DataView(new ArrayBuffer(44 + samples * 2));
  const text = (/** @type {number} */ at, /** @type {string} */ s) => [...s].forEach((c, i) => bytes.setUint8(at + i, c.charCodeAt(0)));
  text(0, "RIFF");
  bytes.setUint32(4, 36 + samples * 2, true);
  text(8, "WAVEfmt ");
  bytes.setUint32(16, 16, true); // fmt chunk size
  bytes.setUint16(20, 1, true); // PCM
  bytes.setUint16(22, 1, true); // mono
  bytes.setUint32(24, rate, true);
  bytes.setUint32(28, rate * 2, true);
  bytes.setUint16(32, 2, true);
  bytes.setUint16(34, 16, true);
  text(36, "data");
  bytes.setUint32(40, samples * 2, true);
  for (let i = 0; i < samples; i++) {
    const t = i / rate;
    const freq = t < 0.4 ? 660 : 880;
    const envelope = Math.min(1, (0.4 - (t % 0.4)) * 10) * 0.4;
    bytes.setInt16(44 + i * 2, Math.sin(2 * Math.PI * freq * t) * envelope * 32767, true);
  }
  return new Blob([bytes.buffer], { type: "audio/wav" });
}
