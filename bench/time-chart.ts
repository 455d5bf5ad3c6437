// A line chart as SVG text, drawn by hand: time (y) against node count (x), one line per series.

export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

const colours = ['#1b6ac9', '#c93c1b', '#2b9a3e', '#8a4fc9', '#b08a00'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Rounds up to 1, 2 or 5 times a power of ten, for the top of the axis. */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

export function drawTimeChart(title: string, series: readonly Series[]): string {
  const width = 720;
  const height = 440;
  const margin = { left: 70, right: 210, top: 50, bottom: 60 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const all = series.flatMap((each) => each.points);
  const xs = [...new Set(all.map((point) => point.x))].sort((a, b) => a - b);
  const maxX = Math.max(1, ...xs);
  const maxY = niceCeiling(Math.max(1, ...all.map((point) => point.y)));
  const px = (x: number) => margin.left + (x / maxX) * plotWidth;
  const py = (y: number) => margin.top + plotHeight - (y / maxY) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  for (let tick = 0; tick <= 5; tick++) {
    const y = (maxY / 5) * tick;
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`,
      `<text x="${margin.left - 8}" y="${py(y) + 4}" text-anchor="end">${Number(y.toPrecision(3))}</text>`,
    );
  }
  for (const x of xs) {
    parts.push(
      `<line x1="${px(x)}" x2="${px(x)}" y1="${margin.top + plotHeight}" y2="${margin.top + plotHeight + 5}" stroke="#333"/>`,
      `<text x="${px(x)}" y="${margin.top + plotHeight + 20}" text-anchor="middle">${x}</text>`,
    );
  }
  parts.push(
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#333"/>`,
    `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${margin.top + plotHeight}" y2="${margin.top + plotHeight}" stroke="#333"/>`,
    `<text x="${margin.left + plotWidth / 2}" y="${height - 18}" text-anchor="middle">nodes</text>`,
    `<text transform="translate(20 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">seconds</text>`,
  );
  series.forEach((each, index) => {
    const colour = colours[index % colours.length]!;
    const points = [...each.points].sort((a, b) => a.x - b.x);
    if (points.length > 0) {
      parts.push(
        `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`,
        ...points.map(
          (p) =>
            `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${colour}"><title>${escapeXml(`${each.name}: ${p.x} nodes, ${p.y.toFixed(1)} s`)}</title></circle>`,
        ),
      );
    }
    const legendY = margin.top + 10 + index * 22;
    parts.push(
      `<line x1="${width - margin.right + 15}" x2="${width - margin.right + 40}" y1="${legendY}" y2="${legendY}" stroke="${colour}" stroke-width="3"/>`,
      `<text x="${width - margin.right + 46}" y="${legendY + 4}">${escapeXml(each.name)}${points.length === 0 ? ' (not run)' : ''}</text>`,
    );
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}
