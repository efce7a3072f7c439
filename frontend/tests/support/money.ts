// Reading money exactly in the tests: amounts as integer millionths (the panel rates to six decimal
// places) and CSV as the panel writes it (RFC 4180).

/** "0.000167" → 167, "€1,234.50" → 1234500000, "-€0.01" → -10000; whatever surrounds the number is ignored. */
export function micros(text: string): number {
  const number = text.replace(/[^0-9.-]/g, '');
  const match = /^(-?)(\d+)(?:\.(\d{0,6}))?$/.exec(number);
  if (!match) throw new Error(`not an amount with at most six decimal places: "${text}"`);
  const [, sign, whole, fraction = ''] = match;
  const value = Number(whole) * 1_000_000 + Number(fraction.padEnd(6, '0'));
  return sign ? -value : value;
}

/** Millionths rounded half-up (away from zero) to cents. */
export function cents(amountInMicros: number): number {
  const rounded = Math.floor((Math.abs(amountInMicros) + 5_000) / 10_000);
  return amountInMicros < 0 ? -rounded : rounded;
}

/** RFC 4180 CSV with a header row into one record per row. */
export function parseCsv(text: string): { header: string[]; rows: Record<string, string>[] } {
  const records: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { fields.push(field); field = ''; }
    else if (c === '\n') { fields.push(field); field = ''; records.push(fields); fields = []; }
    else if (c !== '\r') field += c;
  }
  if (field !== '' || fields.length > 0) { fields.push(field); records.push(fields); }
  const [header = [], ...body] = records;
  const rows = body.map((record) => {
    if (record.length !== header.length) throw new Error(`a CSV row has ${record.length} fields, the header ${header.length}: ${record.join(',')}`);
    return Object.fromEntries(header.map((name, index) => [name, record[index]]));
  });
  return { header, rows };
}
