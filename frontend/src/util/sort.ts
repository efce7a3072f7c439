// Sorting table rows: numbers in numeric order, text in the user's collation.

export type SortDirection = 'ascending' | 'descending';

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Compares two sort keys: both numbers → by value, else text with numbers inside in order ("j2" < "j10"); empty and "—" last. */
export function compareKeys(a: string, b: string): number {
  const blankA = a === '' || a === '—';
  const blankB = b === '' || b === '—';
  if (blankA || blankB) return blankA === blankB ? 0 : blankA ? 1 : -1;
  const numberA = Number(a);
  const numberB = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(numberA) && Number.isFinite(numberB)) return numberA - numberB;
  return collator.compare(a, b);
}

/** The items ordered by their keys; stable, blanks last in both directions. */
export function sortRows<T>(items: T[], keyOf: (item: T) => string, direction: SortDirection): T[] {
  const keyed = items.map((item, index) => ({ item, index, key: keyOf(item) }));
  keyed.sort((x, y) => {
    const blankX = x.key === '' || x.key === '—';
    const blankY = y.key === '' || y.key === '—';
    if (blankX !== blankY) return blankX ? 1 : -1;
    const order = compareKeys(x.key, y.key);
    return (direction === 'ascending' ? order : -order) || x.index - y.index;
  });
  return keyed.map(({ item }) => item);
}
