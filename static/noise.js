// The randomness of a line written in the browser (mixture.sampling_noise's draws: a
// uniform for the pen, Gumbel noise for the component, two normals for the step), from a
// small seeded generator: the same seed gives the same line in any browser. Not the same
// numbers as TensorFlow's generator, so not the same line as the Python writer's.

// mulberry32: a 32-bit generator, uniform in (0, 1), never 0 (a Gumbel draw takes its log)
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

// one 32-bit seed from a line's seed and its try (as text.try_seeds derives one)
export function trySeed(seed, tryIndex) {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ Math.imul(tryIndex + 1, 0xc2b2ae35), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}

// noise(t) -> {uniform, gumbel [mixtures], normal [2]} of step t, drawn in step order
export function lineNoise(seed, mixtures) {
  const next = generator(seed);
  return () => {
    const uniform = next();
    const gumbel = Array.from({length: mixtures}, () => -Math.log(-Math.log(next())));
    const r = Math.sqrt(-2 * Math.log(next()));
    const angle = 2 * Math.PI * next();
    return {uniform, gumbel, normal: [r * Math.cos(angle), r * Math.sin(angle)]};
  };
}
