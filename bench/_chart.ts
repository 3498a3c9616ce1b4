/**
 * bench/results.svg, drawn as SVG text: keepwire's req/s ratio to each
 * anchor per runtime and scenario (top), and memory per idle keep-alive
 * connection per server (bottom), with issue 7's goals as red dashes.
 *
 * @module
 */

import { KEEPWIRE } from "./_catalog.ts";
import type { Report } from "./_report.ts";

const escapeXml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

const KEEPWIRE_COLOUR = "#6a3d9a";

/** Bar colour per server kind: keepwire, node:http, hono, a raw-socket ceiling, the runtime's own. */
function barColour(server: string): string {
  if (server === "keepwire") return KEEPWIRE_COLOUR;
  if (server.includes("ceiling")) return "#9aa5b1";
  if (server.includes("hono")) return "#e8833a";
  if (server === "node:http") return "#3c873a";
  return "#2f6fb3";
}

interface Bar {
  label: string;
  value: number;
  goal?: number;
  /** A second figure drawn as a circle on the bar (the CPU-time ratio). */
  marker?: number;
}

interface Group {
  label: string;
  bars: Bar[];
}

interface Panel {
  title: string;
  subtitle: string;
  groups: Group[];
  format: (value: number) => string;
  /** A value drawn as a darker grid line (1× for ratios). */
  reference?: number;
}

const BAR_WIDTH = 44;
const BAR_GAP = 10;
const GROUP_GAP = 36;
const LEFT = 56;
const PLOT_HEIGHT = 240;
/** Height of a panel: titles, plot, rotated bar labels and group labels. */
const PANEL_HEIGHT = 50 + PLOT_HEIGHT + 110;

function groupsWidth(groups: Group[]): number {
  return groups.reduce(
    (sum, group) => sum + group.bars.length * (BAR_WIDTH + BAR_GAP) + GROUP_GAP,
    0,
  );
}

/** One panel's SVG elements, drawn from `top` down. */
function drawPanel(panel: Panel, top: number, width: number): string[] {
  const plotTop = top + 50;
  const values = panel.groups.flatMap((group) =>
    group.bars.flatMap((bar) => [bar.value, bar.goal ?? 0, bar.marker ?? 0])
  ).filter(Number.isFinite);
  const maxValue = Math.max(panel.reference ?? 0, ...values, 0.01) * 1.15;
  const y = (value: number) =>
    plotTop + PLOT_HEIGHT - (Math.max(0, value) / maxValue) * PLOT_HEIGHT;
  const out: string[] = [
    `<text x="${LEFT}" y="${top + 20}" font-size="16" font-weight="bold">${
      escapeXml(panel.title)
    }</text>`,
    `<text x="${LEFT}" y="${top + 38}" font-size="11" fill="#555">${
      escapeXml(panel.subtitle)
    }</text>`,
  ];
  const rawStep = maxValue / 6;
  const magnitude = 10 ** Math.floor(Math.log10(rawStep));
  const step = [1, 2, 2.5, 5, 10].map((factor) => factor * magnitude).find((s) => s >= rawStep)!;
  for (let value = 0; value <= maxValue; value += step) {
    const strong = panel.reference !== undefined && Math.abs(value - panel.reference) < 1e-9;
    out.push(
      `<line x1="${LEFT}" x2="${width - 10}" y1="${y(value).toFixed(1)}" y2="${
        y(value).toFixed(1)
      }" ` +
        `stroke="${strong ? "#333" : "#e3e3e3"}" stroke-width="${strong ? 1.5 : 1}"/>`,
      `<text x="${LEFT - 6}" y="${(y(value) + 4).toFixed(1)}" font-size="11" text-anchor="end">` +
        `${escapeXml(panel.format(Number(value.toPrecision(6))))}</text>`,
    );
  }
  let x = LEFT + GROUP_GAP / 2;
  const base = plotTop + PLOT_HEIGHT;
  for (const group of panel.groups) {
    const groupStart = x;
    for (const bar of group.bars) {
      const value = Number.isFinite(bar.value) ? bar.value : 0;
      const middle = x + BAR_WIDTH / 2;
      out.push(
        `<rect x="${x}" y="${y(value).toFixed(1)}" width="${BAR_WIDTH}" ` +
          `height="${(base - y(value)).toFixed(1)}" fill="${barColour(bar.label)}"><title>${
            escapeXml(`${group.label}, ${bar.label}: ${panel.format(value)}`)
          }</title></rect>`,
        `<text x="${middle}" y="${(y(value) - 4).toFixed(1)}" font-size="11" ` +
          `text-anchor="middle">${escapeXml(panel.format(value))}</text>`,
        `<text x="${middle}" y="${base + 14}" font-size="10" text-anchor="end" ` +
          `transform="rotate(-35 ${middle} ${base + 14})">${escapeXml(bar.label)}</text>`,
      );
      if (bar.marker !== undefined && Number.isFinite(bar.marker)) {
        out.push(
          `<circle cx="${middle}" cy="${y(bar.marker).toFixed(1)}" r="4" fill="#fff" ` +
            `stroke="#111" stroke-width="1.5"><title>${
              escapeXml(`by CPU time per request: ${panel.format(bar.marker)}`)
            }</title></circle>`,
        );
      }
      if (bar.goal !== undefined) {
        out.push(
          `<line x1="${x - 4}" x2="${x + BAR_WIDTH + 4}" y1="${y(bar.goal).toFixed(1)}" ` +
            `y2="${y(bar.goal).toFixed(1)}" stroke="#d62728" stroke-width="2" ` +
            `stroke-dasharray="5 3"><title>goal ${
              escapeXml(panel.format(bar.goal))
            }</title></line>`,
        );
      }
      x += BAR_WIDTH + BAR_GAP;
    }
    out.push(
      `<text x="${((groupStart + x - BAR_GAP) / 2).toFixed(1)}" y="${base + 92}" font-size="12" ` +
        `font-weight="bold" text-anchor="middle">${escapeXml(group.label)}</text>`,
    );
    x += GROUP_GAP;
  }
  return out;
}

/** Collects rows into groups by `groupOf`, in first-seen order. */
function groupBy<T>(rows: T[], groupOf: (row: T) => string, barOf: (row: T) => Bar): Group[] {
  const groups: Group[] = [];
  for (const row of rows) {
    const label = groupOf(row);
    let group = groups.find((candidate) => candidate.label === label);
    if (group === undefined) groups.push(group = { label, bars: [] });
    group.bars.push(barOf(row));
  }
  return groups;
}

/** The chart: ratios on top, idle memory below (when measured), a legend at the bottom. */
export function renderSvg(report: Report): string {
  const context = `${report.date} · ${report.machine["CPU"] ?? ""}${
    report.quick ? " · quick run" : ""
  } · red dashes: goals of issue 7`;
  const panels: Panel[] = [{
    title: "keepwire req/s ÷ anchor req/s",
    subtitle: `${context} · circles: the same ratio by server CPU time per request`,
    groups: groupBy(report.ratios, (row) => `${row.runtime} · ${row.scenario}`, (row) => ({
      // The headline (default options) bars carry the anchor's name alone.
      label: row.server === KEEPWIRE ? row.anchor : `${row.anchor} (light)`,
      value: row.median,
      goal: row.goal,
      marker: row.cpuMedian,
    })),
    format: (value) => `${value.toFixed(2)}×`,
    reference: 1,
  }];
  if (report.idle.length > 0) {
    panels.push({
      title: "Memory per idle keep-alive connection (kB, lower is better)",
      subtitle: `${context} · RSS delta over ${report.idle[0].connections} idle connections`,
      groups: groupBy(report.idle, (row) => row.runtime, (row) => ({
        label: row.server,
        value: row.perConnectionKiB,
        goal: row.goalKiB,
      })),
      format: (value) => value.toFixed(1),
    });
  }
  const width = Math.max(760, LEFT + 20 + Math.max(...panels.map((p) => groupsWidth(p.groups))));
  const height = panels.length * PANEL_HEIGHT + 40;
  const legend = [
    ["keepwire", KEEPWIRE_COLOUR],
    ["the runtime's own server", "#2f6fb3"],
    ["node:http", "#3c873a"],
    ["@hono/node-server", "#e8833a"],
    ["raw-socket ceiling", "#9aa5b1"],
  ];
  let legendX = LEFT;
  const legendItems = legend.map(([label, colour]) => {
    const x = legendX;
    // About 6.5 px per character at 11 px, plus the swatch and a gap.
    legendX += 18 + label.length * 6.5 + 24;
    return `<rect x="${x}" y="${height - 26}" width="12" height="12" fill="${colour}"/>` +
      `<text x="${x + 18}" y="${height - 16}" font-size="11">${escapeXml(label)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...panels.flatMap((panel, index) => drawPanel(panel, index * PANEL_HEIGHT, width)),
    ...legendItems,
    `</svg>`,
    "",
  ].join("\n");
}
