/**
 * A bar chart (uPlot: ~50 KB unminified, canvas, maintained) of amounts per category. The values
 * are display only: every figure a treasurer reads as a number comes exactly from the API.
 */
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { money } from '../format'

export default function BarChart(props: { labels: string[]; values: number[]; title: string }) {
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = box.current
    if (!el) return
    const xs = props.labels.map((_, i) => i)
    const plot = new uPlot(
      {
        width: Math.max(320, el.clientWidth),
        height: 260,
        legend: { show: false },
        cursor: { show: false },
        scales: {
          x: { time: false, range: [-0.5, props.labels.length - 0.5] },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        },
        axes: [
          { values: (_u, splits) => splits.map((s) => props.labels[s] ?? ''), splits: () => xs, stroke: '#333' },
          { values: (_u, splits) => splits.map((s) => money(Math.round(s)).replace(/\.000\.000$/, ' jt')), size: 110, stroke: '#333' },
        ],
        series: [
          {},
          {
            label: props.title,
            fill: '#1f6f5c',
            stroke: '#1f6f5c',
            paths: uPlot.paths.bars!({ size: [0.6, 80] }),
            points: { show: false },
          },
        ],
      },
      [xs, props.values],
      el,
    )
    return () => plot.destroy()
  }, [props.labels.join('|'), props.values.join('|')])
  return (
    <div
      ref={box}
      class="chart"
      role="img"
      aria-label={`${props.title}: ${props.labels.map((l, i) => `${l} ${money(props.values[i])}`).join(', ')}`}
    />
  )
}
