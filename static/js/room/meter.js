// Microphone level from a WebAudio AnalyserNode: the pre-join meter and "you are speaking".

/** @type {AudioContext|null} */
let sharedContext = null;

/**
 * One AudioContext for the page (browsers limit how many may exist).
 * Browsers may create it suspended until the person clicks or presses a key.
 * @returns {AudioContext|null}
 */
export function audioContext() {
  if (sharedContext) return sharedContext;
  const Context = window.AudioContext ?? /** @type {any} */ (window).webkitAudioContext;
  if (!Context) return null;
  sharedContext = new Context();
  return sharedContext;
}

/**
 * Resume the page's AudioContext on the next click or key press if autoplay rules held it.
 * @param {() => void} [onRunning]
 */
export function resumeAudioOnGesture(onRunning) {
  const context = audioContext();
  if (!context) return;
  const resume = () => {
    context.resume().then(
      () => {
        if (context.state === "running") {
          document.removeEventListener("pointerdown", resume, true);
          document.removeEventListener("keydown", resume, true);
          onRunning?.();
        }
      },
      () => {},
    );
  };
  if (context.state === "running") return;
  resume(); // allowed right away in some browsers (e.g. while capturing)
  document.addEventListener("pointerdown", resume, true);
  document.addEventListener("keydown", resume, true);
}

/**
 * Map an RMS amplitude to 0..1 on a -60..0 dBFS scale, which matches how loud speech feels.
 * @param {number} rms
 * @returns {number}
 */
export function levelFromRms(rms) {
  if (rms <= 0) return 0;
  const db = 20 * Math.log10(rms);
  return Math.min(1, Math.max(0, (db + 60) / 60));
}

export class LevelMeter {
  /**
   * @param {(level: number) => void} onLevel called about 12 times a second with 0..1
   */
  constructor(onLevel) {
    this.onLevel = onLevel;
    /** @type {MediaStreamAudioSourceNode|null} */
    this.source = null;
    /** @type {AnalyserNode|null} */
    this.analyser = null;
    /** @type {Float32Array|null} */
    this.samples = null;
    this.level = 0;
    /** @type {ReturnType<typeof setInterval>|null} */
    this.timer = null;
  }

  /**
   * Measure this track (or nothing).
   * @param {MediaStreamTrack|null} track
   */
  attach(track) {
    this.#disconnect();
    const context = audioContext();
    if (!track || !context) {
      this.#report(0);
      return;
    }
    this.source = context.createMediaStreamSource(new MediaStream([track]));
    this.analyser = context.createAnalyser();
    this.analyser.fftSize = 1024;
    this.samples = new Float32Array(this.analyser.fftSize);
    this.source.connect(this.analyser); // not to the destination: no echo of yourself
    this.timer = setInterval(() => this.#measure(), 80);
  }

  #measure() {
    if (!this.analyser || !this.samples) return;
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const sample of this.samples) sum += sample * sample;
    this.#report(levelFromRms(Math.sqrt(sum / this.samples.length)));
  }

  /** @param {number} level */
  #report(level) {
    // Fall slowly, rise at once: a readable bar rather than a flicker.
    this.level = level >= this.level ? level : this.level * 0.7 + level * 0.3;
    this.onLevel(this.level);
  }

  #disconnect() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.source?.disconnect();
    this.analyser?.disconnect();
    this.source = null;
    this.analyser = null;
  }

  close() {
    this.#disconnect();
  }
}
