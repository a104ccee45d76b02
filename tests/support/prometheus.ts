/**
 * A small, strict parser of the Prometheus text exposition format (version 0.0.4), for asserting what
 * `/metrics` answers: every line must be a HELP, a TYPE, a comment, blank, or a sample of the family the
 * last TYPE declared, with valid names, label syntax, values and no duplicate series. Histograms must have
 * cumulative buckets whose +Inf bucket equals their count. Any violation throws with the line number.
 */

/** One sample line. */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One metric family: its TYPE, HELP and samples. */
export interface PromFamily {
  readonly name: string;
  readonly type: string;
  help: string | undefined;
  readonly samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

function parseValue(text: string, where: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: bad value "${text}"`);
  return Number(text);
}

/** Parses `{a="x",b="y"}` starting at `text[0] === '{'`; returns the labels and the rest of the line. */
function parseLabels(text: string, where: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without "="`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: bad label name "${name}"`);
    if (name in labels) throw new Error(`${where}: label "${name}" twice`);
    if (text[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
    let j = eq + 2;
    let value = '';
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\n') throw new Error(`${where}: raw newline in a label value`);
      if (text[j] !== '\\') {
        value += text[j];
        continue;
      }
      const escaped = text[++j];
      if (escaped === 'n') value += '\n';
      else if (escaped === '\\' || escaped === '"') value += escaped;
      else throw new Error(`${where}: bad escape "\\${escaped ?? ''}" in a label value`);
    }
    if (j >= text.length) throw new Error(`${where}: unterminated label value`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`${where}: expected "," or "}" after a label`);
  }
}

function parseSample(line: string, where: string): PromSample {
  const nameEnd = line.search(/[{ ]/);
  if (nameEnd <= 0) throw new Error(`${where}: no metric name`);
  const name = line.slice(0, nameEnd);
  if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name "${name}"`);
  let rest = line.slice(nameEnd);
  let labels: Record<string, string> = {};
  if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, where));
  const fields = rest.split(' ');
  if (fields[0] !== '' || fields.length < 2 || fields.length > 3)
    throw new Error(`${where}: expected " <value> [timestamp]" after the labels`);
  const value = parseValue(fields[1] ?? '', where);
  if (fields[2] !== undefined && !/^-?\d+$/.test(fields[2])) throw new Error(`${where}: bad timestamp`);
  return { name, labels, value };
}

/** Checks a histogram family: cumulative buckets per series, +Inf equal to _count. */
function checkHistogram(family: PromFamily): void {
  const series = new Map<string, { buckets: PromSample[]; count?: number }>();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${family.name}: a bucket without "le"`);
      entry.buckets.push(s);
    } else if (s.name.endsWith('_count')) entry.count = s.value;
  }
  for (const [key, { buckets, count }] of series) {
    for (let i = 1; i < buckets.length; i++)
      if ((buckets[i]?.value ?? 0) < (buckets[i - 1]?.value ?? 0))
        throw new Error(`${family.name}${key}: buckets not cumulative`);
    const inf = buckets.find((b) => b.labels.le === '+Inf');
    if (inf === undefined || inf.value !== count)
      throw new Error(`${family.name}${key}: +Inf bucket ${inf?.value} is not the count ${count}`);
  }
}

/** Parses Prometheus text strictly; throws on the first violation. */
export function parsePrometheus(text: string): Map<string, PromFamily> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const families = new Map<string, PromFamily>();
  const seen = new Set<string>();
  let current: PromFamily | undefined;
  for (const [n, line] of text.split('\n').entries()) {
    const where = `line ${n + 1}`;
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta !== null) {
      const [, kind, name = '', rest = ''] = meta;
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name "${name}"`);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`${where}: bad type "${rest}"`);
        const existing = families.get(name);
        if (existing !== undefined && existing.type !== 'pending')
          throw new Error(`${where}: ${name} typed twice`);
        current = { name, type: rest, help: existing?.help, samples: [] };
        families.set(name, current);
      } else {
        const family = families.get(name) ?? { name, type: 'pending', help: undefined, samples: [] };
        if (family.help !== undefined) throw new Error(`${where}: HELP of ${name} twice`);
        family.help = rest;
        families.set(name, family);
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = parseSample(line, where);
    if (current === undefined) throw new Error(`${where}: a sample before any TYPE`);
    const suffix = sample.name.slice(current.name.length);
    if (!sample.name.startsWith(current.name) || !(SUFFIXES[current.type] ?? []).includes(suffix))
      throw new Error(`${where}: ${sample.name} is not a sample of ${current.type} ${current.name}`);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: duplicate series ${key}`);
    seen.add(key);
    current.samples.push(sample);
  }
  for (const family of families.values()) {
    if (family.type === 'pending') throw new Error(`${family.name}: HELP without TYPE`);
    if (family.type === 'histogram') checkHistogram(family);
  }
  return families;
}

/** The value of the sample `name` whose labels include `labels`, summed when several match. */
export function promValue(
  families: ReadonlyMap<string, PromFamily>,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let sum = 0;
  for (const family of families.values())
    for (const s of family.samples)
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  return sum;
}

/** Every sample named `name`. */
export function promSamples(families: ReadonlyMap<string, PromFamily>, name: string): PromSample[] {
  return [...families.values()].flatMap((f) => f.samples.filter((s) => s.name === name));
}
