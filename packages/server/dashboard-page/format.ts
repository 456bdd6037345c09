// Numbers as the cards show them.
export function bytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(0)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function rate(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

export function ms(n: number | null): string {
  if (n === null) return '–';
  return n >= 10 ? `${n.toFixed(0)} ms` : `${n.toFixed(1)} ms`;
}

export function clock(at: number): string {
  return new Date(at).toLocaleTimeString('en-GB', { hour12: false });
}

/** A colour per node id for the charts, distinct from the role colours. */
const NODE_COLOURS = ['#0891b2', '#db2777', '#65a30d', '#ea580c', '#4f46e5', '#0d9488', '#a16207', '#9333ea'];
export function nodeColour(id: number): string {
  return NODE_COLOURS[(id - 1 + NODE_COLOURS.length) % NODE_COLOURS.length]!;
}
