#!/usr/bin/env node
// Peer analyser: essentia.js 0.1.3 (MTG, AGPL-3.0), run as a separate node process only (never linked into segue).
//
//   NODE_PATH=$(bash /work/shared/peers/build_essentia.sh | tail -n1) \
//     node essentia_analyze.js --input DIR|--list FILE --out F.csv --details DIR2 [--method multifeature|degara]
//       [--shard K/N]   (only files K, K+N, K+2N, ... of the sorted list: run N processes, concatenate the CSVs)
//
// Reads PCM WAV files (16/24-bit int or 32-bit float; node's own parsing, no decoder), and writes segue's
// contract: F.csv (item_id,tempo,loudness_lufs,key,mode + duration_s,cpu_s,wall_s) and per file
// DIR2/<id>.beats.txt and DIR2/<id>.chords.lab. Algorithms:
//   - audio mixed to mono and resampled to 44100 Hz (RhythmExtractor2013 assumes 44100 Hz);
//   - RhythmExtractor2013(method = --method, default 'multifeature', 40..208 BPM) -> tempo, beat ticks;
//   - KeyExtractor with essentia.js defaults (profile 'bgate', HPCP size 12, frame/hop 4096);
//   - ChordsDetectionBeats('interbeat_median') on 36-bin HPCP frames (4096/2048, blackmanharris62, spectral
//     peaks 40-5000 Hz, harmonics 8, band preset, nonLinear, windowSize 0.5: the HPCP of essentia's
//     TonalExtractor) between consecutive beat ticks; before the first / after the last tick: 'N';
//   - LoudnessEBUR128 (hop 0.1 s) on the original stereo signal (mono: the channel twice, minus 3.01 dB).
'use strict';
const fs = require('fs');
const path = require('path');
const { Essentia, EssentiaWASM } = require('essentia.js');

const args = process.argv.slice(2);
const opt = (k, d) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : d; };
const input = opt('--input'), list = opt('--list'), outCsv = opt('--out'), details = opt('--details');
const method = opt('--method', 'multifeature');
const [shardK, shardN] = opt('--shard', '0/1').split('/').map(Number);  // process every shardN-th file
if ((!input && !list) || !outCsv || !details) {
  console.error('usage: essentia_analyze.js --input DIR|--list FILE --out F.csv --details DIR2 [--method multifeature|degara]');
  process.exit(2);
}
let files = list ? fs.readFileSync(list, 'utf8').split('\n').filter(Boolean)
  : fs.readdirSync(input).filter(f => /\.wav$/i.test(f)).sort().map(f => path.join(input, f));
files = files.filter((_, i) => i % shardN === shardK);
fs.mkdirSync(details, { recursive: true });
const essentia = new Essentia(EssentiaWASM);
const SR = 44100;
const PITCH = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];
const NAT = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };
function pc(name) { let p = NAT[name[0]]; for (const c of name.slice(1)) p += c === '#' ? 1 : c === 'b' ? -1 : 0; return (p + 12) % 12; }

function readWav(file) {
  const b = fs.readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV: ' + file);
  let off = 12, fmt = null, data = null;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4), size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') fmt = { format: b.readUInt16LE(off + 8), ch: b.readUInt16LE(off + 10), rate: b.readUInt32LE(off + 12), bits: b.readUInt16LE(off + 22) };
    if (id === 'data') { data = b.subarray(off + 8, Math.min(b.length, off + 8 + size)); break; }
    off += 8 + size + (size & 1);
  }
  if (!fmt || !data) throw new Error('bad WAV: ' + file);
  const bps = fmt.bits / 8, n = Math.floor(data.length / (bps * fmt.ch));
  const chans = Array.from({ length: fmt.ch }, () => new Float32Array(n));
  for (let i = 0; i < n; i++) for (let c = 0; c < fmt.ch; c++) {
    const o = (i * fmt.ch + c) * bps;
    let v;
    if (fmt.bits === 16) v = data.readInt16LE(o) / 32768;
    else if (fmt.bits === 24) v = data.readIntLE(o, 3) / 8388608;
    else if (fmt.bits === 32 && fmt.format === 3) v = data.readFloatLE(o);
    else if (fmt.bits === 32) v = data.readInt32LE(o) / 2147483648;
    else throw new Error(`unsupported ${fmt.bits}-bit WAV: ${file}`);
    chans[c][i] = v;
  }
  return { rate: fmt.rate, chans, n };
}

function resampleLinear(x, from, to) {  // fallback only when essentia's Resample is unavailable
  const m = Math.floor(x.length * to / from), y = new Float32Array(m);
  for (let i = 0; i < m; i++) { const t = i * from / to, j = Math.floor(t), f = t - j; y[i] = (x[j] || 0) * (1 - f) + (x[j + 1] || 0) * f; }
  return y;
}

function chordLabel(s) {  // essentia 'C#m' / 'Bb' -> Harte 'C#:min' / 'A#:maj'
  const m = /^([A-G][#b]?)(m?)/.exec(s);
  return m ? `${PITCH[pc(m[1])]}:${m[2] ? 'min' : 'maj'}` : 'N';
}

function analyse(file) {
  const w = readWav(file);
  const dur = w.n / w.rate;
  const mono = new Float32Array(w.n);
  for (const c of w.chans) for (let i = 0; i < w.n; i++) mono[i] += c[i] / w.chans.length;
  let sig;
  if (w.rate === SR) sig = essentia.arrayToVector(mono);
  else {
    const v = essentia.arrayToVector(mono);
    try { sig = essentia.Resample(v, w.rate, SR, 1).signal; } catch (e) { sig = essentia.arrayToVector(resampleLinear(mono, w.rate, SR)); }
    v.delete();
  }
  const rhythm = essentia.RhythmExtractor2013(sig, 208, method, 40);
  const ticks = Array.from(essentia.vectorToArray(rhythm.ticks));
  const key = essentia.KeyExtractor(sig);
  // 36-bin HPCP frames for chords
  const audio = essentia.vectorToArray(sig);
  const frameSize = 4096, hop = 2048;
  const pcp = new essentia.module.VectorVectorFloat();
  for (let s = 0; s + frameSize <= audio.length; s += hop) {
    const fr = essentia.arrayToVector(audio.subarray(s, s + frameSize));
    const win = essentia.Windowing(fr, true, frameSize, 'blackmanharris62').frame;
    const spec = essentia.Spectrum(win, frameSize).spectrum;
    const pk = essentia.SpectralPeaks(spec, 0.00001, 5000, 10000, 40, 'magnitude', SR);
    const h = essentia.HPCP(pk.frequencies, pk.magnitudes, true, 500, 8, 5000, false, 40, true, 'unitMax', 440, SR, 36, 'cosine', 0.5).hpcp;
    pcp.push_back(h);
    for (const v of [fr, win, spec, pk.frequencies, pk.magnitudes, h]) v.delete();
  }
  let chords = [];
  if (ticks.length >= 2 && pcp.size() > 0) {
    const cd = essentia.ChordsDetectionBeats(pcp, rhythm.ticks, 'interbeat_median', hop, SR);
    const labs = [];
    for (let i = 0; i < cd.chords.size(); i++) labs.push(cd.chords.get(i));
    if (ticks[0] > 0) chords.push([0, ticks[0], 'N']);
    for (let i = 0; i < labs.length && i + 1 < ticks.length; i++) chords.push([ticks[i], ticks[i + 1], chordLabel(labs[i])]);
    const last = chords.length ? chords[chords.length - 1][1] : 0;
    if (last < dur) chords.push([last, dur, 'N']);
  } else chords.push([0, dur, 'N']);
  pcp.delete();
  // loudness on the original channels
  const L = essentia.arrayToVector(w.chans[0]), R = w.chans.length > 1 ? essentia.arrayToVector(w.chans[1]) : L;
  let lufs = essentia.LoudnessEBUR128(L, R, 0.1, w.rate, false).integratedLoudness;
  if (w.chans.length === 1) lufs -= 3.0103;
  L.delete(); if (R !== L) R.delete();
  sig.delete();
  const ks = pc(key.key);
  return { dur, tempo: rhythm.bpm, ticks, chords, lufs, key: PITCH[ks], mode: key.scale === 'minor' ? 'minor' : 'major' };
}

const rows = ['item_id,tempo,loudness_lufs,key,mode,duration_s,cpu_s,wall_s'];
for (const f of files) {
  const id = path.basename(f).replace(/\.[^.]+$/, '');
  const c0 = process.cpuUsage(), t0 = process.hrtime.bigint();
  try {
    const r = analyse(f);
    const cu = process.cpuUsage(c0), wall = Number(process.hrtime.bigint() - t0) / 1e9;
    fs.writeFileSync(path.join(details, id + '.beats.txt'), r.ticks.map(t => t.toFixed(4)).join('\n') + (r.ticks.length ? '\n' : ''));
    fs.writeFileSync(path.join(details, id + '.chords.lab'), r.chords.map(([s, e, l]) => `${s.toFixed(4)}\t${e.toFixed(4)}\t${l}`).join('\n') + '\n');
    rows.push([id, r.tempo.toFixed(3), r.lufs.toFixed(2), r.key, r.mode, r.dur.toFixed(3), ((cu.user + cu.system) / 1e6).toFixed(3), wall.toFixed(3)].join(','));
    console.error(`essentia.js ${id}: ${r.tempo.toFixed(1)} BPM ${r.key} ${r.mode} ${r.lufs.toFixed(1)} LUFS (${wall.toFixed(1)} s)`);
  } catch (e) {
    console.error(`essentia.js ${id}: FAILED ${e.message}`);
  }
  fs.writeFileSync(outCsv, rows.join('\n') + '\n');
}
