// A time-series chart (uPlot) of one metric per member, from the page's history; made anew when
// the members or the theme change, fed new data otherwise.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

import { nodeColour } from './format.js';
import type { History, Metric } from './history.js';

interface ChartProps {
  title: string;
  history: History;
  /** One line per member for each; the second drawn dashed (p50 beside p99). */
  metrics: Metric[];
  unit: string;
  theme: 'light' | 'dark';
}

function dataOf(history: History, ids: number[], metrics: Metric[]): uPlot.AlignedData {
  const columns: (number | null)[][] = [];
  for (const id of ids) for (const metric of metrics) columns.push(history.series.get(id)![metric]);
  return [history.times, ...columns];
}

export function Chart({ title, history, metrics, unit, theme }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const ids = [...history.series.keys()].sort((a, b) => a - b);
  const key = `${ids.join(',')}|${theme}`;

  useEffect(() => {
    const el = box.current!;
    const styles = getComputedStyle(document.documentElement);
    const ink = styles.getPropertyValue('--muted').trim();
    const grid = styles.getPropertyValue('--grid').trim();
    const axis = { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const series: uPlot.Series[] = [{}];
    for (const id of ids) {
      metrics.forEach((metric, i) => {
        series.push({
          label: metrics.length > 1 ? `node ${id} ${metric.endsWith('P50Ms') ? 'p50' : 'p99'}` : `node ${id}`,
          stroke: nodeColour(id),
          width: 1.5,
          ...(i > 0 && { dash: [4, 4] }),
          spanGaps: false,
          value: (_u, v) => (v === null ? '–' : `${v.toFixed(v >= 100 ? 0 : 1)} ${unit}`),
        });
      });
    }
    const u = new uPlot(
      {
        width: el.clientWidth,
        height: 170,
        series,
        axes: [axis, { ...axis, size: 48 }],
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      },
      dataOf(history, ids, metrics),
      el,
    );
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height: 170 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Made anew only when the series change (members, theme); data flows in below.
  }, [key]);

  useEffect(() => {
    plot.current?.setData(dataOf(history, ids, metrics));
  }, [history]);

  return (
    <figure class="chart">
      <figcaption>
        {title} <span class="muted">({unit})</span>
      </figcaption>
      <div ref={box} />
    </figure>
  );
}
