/**
 * Renders a rollout report ({@link RolloutReport}) as one self-contained HTML page with an inline SVG chart:
 * canary weight, success rate and p95 latency over time (canary and stable, each with its threshold), and
 * a vertical marker for every step, rollback, promotion and failure. No script, no external resource (a
 * Content-Security-Policy forbids them), so the file can be opened from a CI artifact as is.
 *
 * The markup is also well-formed XML (void elements self-closed), so it can be checked by an XML parser.
 * Pure: report in, string out. Every text taken from the report (service, stack, version, messages,
 * labels) is escaped, so a service name cannot inject markup.
 */
import type { ReportSample, RolloutReport, Verdict } from "../core/events";
import { formatEvidence } from "../sequential/describe";

/** Escapes text for HTML and SVG content and for double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
    return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A linear map from [d0, d1] to [r0, r1]; a zero-width domain maps everything to the middle of the range. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (x: number) => number {
    if (d1 === d0) {
        return () => (r0 + r1) / 2;
    }
    return (x) => r0 + ((x - d0) / (d1 - d0)) * (r1 - r0);
}

/**
 * Round tick values covering [min, max]: steps of 1, 2 or 5 times a power of ten, about `count` of them.
 * Returns [min] for an empty or zero-width domain.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
    if (!(Number.isFinite(min) && Number.isFinite(max)) || max <= min || count < 1) {
        return Number.isFinite(min) ? [min] : [];
    }
    const raw = (max - min) / count;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
    const ticks: number[] = [];
    for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) {
        ticks.push(Number(v.toPrecision(12)));
    }
    return ticks;
}

/** `m:ss` after the start (the time axis' labels), for a non-negative offset in ms. */
export function formatOffset(ms: number): string {
    const s = Math.max(0, Math.round(ms / 1000));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Up to two decimals, no trailing zeros; "–" for no data. */
export function formatNumber(v: number | null | undefined): string {
    return v === null || v === undefined || !Number.isFinite(v) ? "–" : String(Math.round(v * 100) / 100);
}

export interface Point {
    x: number;
    y: number | null;
}

/**
 * SVG polyline `points` lists of a series, split where a value is missing (no data is a gap in the line,
 * never a drop to zero). Coordinates are rounded to 0.1 px.
 */
export function lineSegments(points: readonly Point[]): string[] {
    const segments: string[] = [];
    let current: string[] = [];
    for (const p of points) {
        if (p.y === null || !Number.isFinite(p.y)) {
            if (current.length > 0) {
                segments.push(current.join(" "));
            }
            current = [];
            continue;
        }
        current.push(`${round1(p.x)},${round1(p.y)}`);
    }
    if (current.length > 0) {
        segments.push(current.join(" "));
    }
    return segments;
}

/** Points of a step function (value holds until the next change), extended to `endX`. */
export function stepPoints(changes: readonly { x: number; y: number }[], endX: number): { x: number; y: number }[] {
    const out: { x: number; y: number }[] = [];
    changes.forEach((c, i) => {
        const prev = out[out.length - 1];
        if (i > 0 && prev !== undefined) {
            out.push({ x: c.x, y: prev.y });
        }
        out.push({ x: c.x, y: c.y });
    });
    const last = out[out.length - 1];
    if (last !== undefined && endX > last.x) {
        out.push({ x: endX, y: last.y });
    }
    return out;
}

function round1(n: number): number {
    return Math.round(n * 10) / 10;
}

const WIDTH = 960;
const PANEL_HEIGHT = 150;
const PANEL_GAP = 34;
const MARGIN = { left: 64, right: 24, top: 28, bottom: 34 };

const VERDICT_COLOR: Record<Verdict, string> = {
    Successful: "#2e7d32",
    Failed: "#c62828",
    Error: "#6a1b9a",
    Inconclusive: "#f9a825",
};

const MARK_COLOR: Record<RolloutReport["marks"][number]["kind"], string> = {
    step: "#90a4ae",
    rollback: "#c62828",
    promotion: "#2e7d32",
    "webhook-failed": "#ef6c00",
    "update-failed": "#6a1b9a",
    warning: "#f9a825",
    gate: "#1565c0",
};

interface Panel {
    title: string;
    unit: string;
    domain: [number, number];
    /** Lines: label, colour, dashed, points (x in ms from start). */
    lines: { label: string; color: string; dashed: boolean; points: { t: number; v: number | null }[]; step?: boolean }[];
    /** Horizontal threshold line. */
    threshold?: { value: number; label: string };
    /** Verdict dots on the first line. */
    dots?: { t: number; v: number | null; verdict: Verdict }[];
}

function toMs(at: string): number {
    return Date.parse(at);
}

/** The time span of the chart: start to finish (or the last thing seen), in epoch ms. */
function timeSpan(r: RolloutReport): [number, number] {
    const times = [
        r.startedAt,
        r.finishedAt ?? "",
        ...r.weights.map((w) => w.at),
        ...r.samples.map((s) => s.at),
        ...r.marks.map((m) => m.at),
    ]
        .map(toMs)
        .filter((t) => Number.isFinite(t));
    if (times.length === 0) {
        return [0, 1000];
    }
    const start = Math.min(...times);
    return [start, Math.max(start + 1000, ...times)];
}

function panels(r: RolloutReport, start: number, end: number): Panel[] {
    const sampleLine = (pick: (s: ReportSample) => number | null) => r.samples.map((s) => ({ t: toMs(s.at) - start, v: pick(s) }));
    const values = (picks: ((s: ReportSample) => number | null)[]): number[] =>
        r.samples.flatMap((s) => picks.map((p) => p(s))).filter((v): v is number => v !== null && Number.isFinite(v));
    const success = values([(s) => s.canary.successRate, (s) => s.stable.successRate]);
    const latency = values([(s) => s.canary.latencyP95Ms, (s) => s.stable.latencyP95Ms]);
    const successMin = Math.max(0, Math.floor(Math.min(r.thresholds.successRate - 5, ...success) / 5) * 5);
    const latencyMax = Math.max(r.thresholds.latencyP95Ms * 1.2, ...latency.map((v) => v * 1.1), 1);
    const weightChanges = r.weights.map((w) => ({ t: toMs(w.at) - start, v: w.weight as number | null }));
    const weightEnd = end - start;
    return [
        {
            title: "Canary weight",
            unit: "%",
            domain: [0, 100],
            lines: [
                {
                    label: "canary weight",
                    color: "#1565c0",
                    dashed: false,
                    step: true,
                    points: stepPoints(
                        weightChanges.map((w) => ({ x: w.t, y: w.v ?? 0 })),
                        weightEnd,
                    ).map((p) => ({ t: p.x, v: p.y })),
                },
            ],
        },
        {
            title: "Success rate",
            unit: "%",
            domain: [successMin, 100],
            lines: [
                { label: "canary", color: "#1565c0", dashed: false, points: sampleLine((s) => s.canary.successRate) },
                { label: "stable", color: "#757575", dashed: true, points: sampleLine((s) => s.stable.successRate) },
            ],
            threshold: { value: r.thresholds.successRate, label: `min ${formatNumber(r.thresholds.successRate)} %` },
            dots: r.samples.map((s) => ({ t: toMs(s.at) - start, v: s.canary.successRate, verdict: s.verdict })),
        },
        {
            title: "p95 latency",
            unit: "ms",
            domain: [0, latencyMax],
            lines: [
                { label: "canary", color: "#1565c0", dashed: false, points: sampleLine((s) => s.canary.latencyP95Ms) },
                { label: "stable", color: "#757575", dashed: true, points: sampleLine((s) => s.stable.latencyP95Ms) },
            ],
            threshold: { value: r.thresholds.latencyP95Ms, label: `max ${formatNumber(r.thresholds.latencyP95Ms)} ms` },
            dots: r.samples.map((s) => ({ t: toMs(s.at) - start, v: s.canary.latencyP95Ms, verdict: s.verdict })),
        },
    ];
}

/** The chart as an `<svg>` element (no XML prolog, for inlining in HTML). */
export function renderChartSvg(r: RolloutReport): string {
    const [start, end] = timeSpan(r);
    return renderPanelsSvg(r, panels(r, start, end), start, end, `${r.service} ${r.version} rollout chart`);
}

const TEST_TITLES: Record<string, string> = {
    "errors-vs-threshold": "Evidence: canary error rate above the threshold",
    "latency-vs-threshold": "Evidence: canary slower than the p95 threshold",
    "errors-vs-stable": "Evidence: canary's share of the 5xx above its traffic share",
    "latency-vs-stable": "Evidence: canary's share of slow requests above its traffic share",
};

/**
 * Sequential mode: one panel per test, its evidence (log10 of the e-value) at every look against its
 * bound; a red dot where it crossed (the step stopped there). Undefined when the report has no looks.
 */
export function renderEvidenceSvg(r: RolloutReport): string | undefined {
    const looks = (r.looks ?? []).filter((l) => l.tests.length > 0);
    if (looks.length === 0) {
        return undefined;
    }
    const [start, end] = timeSpan(r);
    const names = [...new Set(looks.flatMap((l) => l.tests.map((t) => t.name)))];
    const ps: Panel[] = names.map((name) => {
        const pts = looks.flatMap((l) => {
            const t = l.tests.find((x) => x.name === name);
            return t === undefined ? [] : [{ at: l.at, t }];
        });
        const bound = Math.max(...pts.map((p) => p.t.bound));
        const top = Math.max(bound * 1.25, ...pts.map((p) => Math.min(p.t.evidence, bound * 2)));
        return {
            title: TEST_TITLES[name] ?? name,
            unit: "log10 evidence",
            domain: [0, top],
            lines: [{ label: name, color: "#1565c0", dashed: false, points: pts.map((p) => ({ t: toMs(p.at) - start, v: Math.min(p.t.evidence, top) })) }],
            threshold: { value: bound, label: `bound: 1 in ${formatEvidence(bound * Math.LN10)} false alarm` },
            dots: pts.filter((p) => p.t.crossed).map((p) => ({ t: toMs(p.at) - start, v: Math.min(p.t.evidence, top), verdict: "Failed" as const })),
        };
    });
    return renderPanelsSvg(r, ps, start, end, `${r.service} ${r.version} sequential evidence`);
}

function renderPanelsSvg(r: RolloutReport, ps: readonly Panel[], start: number, end: number, label: string): string {
    const height = MARGIN.top + ps.length * PANEL_HEIGHT + (ps.length - 1) * PANEL_GAP + MARGIN.bottom;
    const x = linearScale(0, end - start, MARGIN.left, WIDTH - MARGIN.right);
    const out: string[] = [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeHtml(label)}" font-family="sans-serif" font-size="11">`,
        `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ];
    ps.forEach((p, i) => {
        const top = MARGIN.top + i * (PANEL_HEIGHT + PANEL_GAP);
        const y = linearScale(p.domain[0], p.domain[1], top + PANEL_HEIGHT, top);
        out.push(`<g class="panel" data-panel="${escapeHtml(p.title)}">`);
        out.push(`<text x="${MARGIN.left}" y="${top - 8}" font-weight="bold" font-size="12">${escapeHtml(`${p.title} (${p.unit})`)}</text>`);
        out.push(`<rect x="${MARGIN.left}" y="${top}" width="${WIDTH - MARGIN.left - MARGIN.right}" height="${PANEL_HEIGHT}" fill="none" stroke="#cfd8dc"/>`);
        for (const tick of niceTicks(p.domain[0], p.domain[1], 4)) {
            const ty = round1(y(tick));
            out.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${ty}" y2="${ty}" stroke="#eceff1"/>`);
            out.push(`<text x="${MARGIN.left - 6}" y="${ty + 4}" text-anchor="end" fill="#546e7a">${escapeHtml(formatNumber(tick))}</text>`);
        }
        if (p.threshold !== undefined) {
            const ty = round1(y(p.threshold.value));
            out.push(
                `<line class="threshold" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${ty}" y2="${ty}" stroke="#c62828" stroke-dasharray="6 4"/>`,
                `<text x="${WIDTH - MARGIN.right - 4}" y="${ty - 4}" text-anchor="end" fill="#c62828">${escapeHtml(p.threshold.label)}</text>`,
            );
        }
        for (const line of p.lines) {
            for (const seg of lineSegments(line.points.map((pt) => ({ x: x(pt.t), y: pt.v === null ? null : y(pt.v) })))) {
                out.push(
                    `<polyline class="series" data-series="${escapeHtml(line.label)}" points="${seg}" fill="none" stroke="${line.color}" stroke-width="2"${line.dashed ? ' stroke-dasharray="4 3"' : ""}/>`,
                );
            }
        }
        for (const d of p.dots ?? []) {
            if (d.v !== null && Number.isFinite(d.v)) {
                out.push(
                    `<circle class="verdict" cx="${round1(x(d.t))}" cy="${round1(y(d.v))}" r="4" fill="${VERDICT_COLOR[d.verdict]}"><title>${escapeHtml(`${d.verdict}: ${formatNumber(d.v)} ${p.unit}`)}</title></circle>`,
                );
            }
        }
        out.push("</g>");
    });
    const bottom = MARGIN.top + ps.length * PANEL_HEIGHT + (ps.length - 1) * PANEL_GAP;
    r.marks.forEach((m, i) => {
        const t = toMs(m.at);
        if (!Number.isFinite(t)) {
            return;
        }
        const mx = round1(x(t - start));
        out.push(
            `<g class="mark" data-kind="${m.kind}"><line x1="${mx}" x2="${mx}" y1="${MARGIN.top}" y2="${bottom}" stroke="${MARK_COLOR[m.kind]}" stroke-width="${m.kind === "step" ? 1 : 2}" stroke-dasharray="${m.kind === "step" ? "2 3" : "none"}"/>`,
            `<text x="${mx + 2}" y="${MARGIN.top - 16}" fill="${MARK_COLOR[m.kind]}">${i + 1}</text><title>${escapeHtml(`${i + 1}. ${m.kind}: ${m.label}`)}</title></g>`,
        );
    });
    for (const tick of niceTicks(0, (end - start) / 1000, 8)) {
        const tx = round1(x(tick * 1000));
        out.push(`<text x="${tx}" y="${bottom + 18}" text-anchor="middle" fill="#546e7a">${formatOffset(tick * 1000)}</text>`);
    }
    out.push(`<text x="${WIDTH - MARGIN.right}" y="${bottom + 30}" text-anchor="end" fill="#546e7a">time since start (m:ss)</text>`);
    out.push("</svg>");
    return out.join("\n");
}

const OUTCOME_COLOR: Record<NonNullable<RolloutReport["outcome"]>, string> = {
    promoted: "#2e7d32",
    "rolled-back": "#c62828",
    aborted: "#ef6c00",
    failed: "#6a1b9a",
};

function row(cells: readonly string[], tag: "td" | "th" = "td"): string {
    return `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join("")}</tr>`;
}

/** The whole HTML page. */
export function renderReportHtml(r: RolloutReport): string {
    const [start, end] = timeSpan(r);
    const title = `Rollout of ${r.service} ${r.version} on ${r.stack}`;
    const outcome = r.outcome ?? "in progress";
    const color = r.outcome === null ? "#546e7a" : OUTCOME_COLOR[r.outcome];
    const summary: [string, string][] = [
        ["Outcome", `${outcome}${r.exitCode === null ? "" : ` (exit ${r.exitCode})`}`],
        ["Message", r.message ?? ""],
        ["Started", r.startedAt],
        ["Finished", r.finishedAt ?? "–"],
        ["Duration", formatOffset(end - start)],
        ["Steps", r.steps.map((s) => `${s}%`).join(", ")],
        ["Interval", `${formatNumber(r.intervalMs / 1000)} s`],
        [
            "Thresholds",
            `success ≥ ${formatNumber(r.thresholds.successRate)} %, p95 ≤ ${formatNumber(r.thresholds.latencyP95Ms)} ms, ≥ ${formatNumber(r.thresholds.minRequests)} requests`,
        ],
        ["Canary requests in analysis windows", formatNumber(r.canaryRequestsInWindows)],
    ];
    const samples = r.samples.map((s) =>
        row([
            formatOffset(toMs(s.at) - start),
            String(s.stepIndex + 1),
            `${s.weight}%`,
            s.verdict,
            formatNumber(s.canary.successRate),
            formatNumber(s.canary.latencyP95Ms),
            formatNumber(s.canary.requests),
            formatNumber(s.stable.successRate),
            formatNumber(s.stable.latencyP95Ms),
            s.metrics.filter((m) => m.verdict !== "Successful").map((m) => `${m.target} ${m.name}: ${m.reason}`).join("; "),
        ]),
    );
    const marks = r.marks.map((m, i) => row([String(i + 1), formatOffset(toMs(m.at) - start), m.kind, m.label]));
    const evidence = renderEvidenceSvg(r);
    const ends = (r.looks ?? []).filter((l) => l.decision !== "continue" && l.decision !== "error");
    const sequential =
        evidence === undefined
            ? []
            : [
                  "<h2>Sequential analysis</h2>",
                  "<p>Each step is watched at every Prometheus scrape. A panel shows how strongly the counts so far say the canary is worse " +
                      "(the evidence: how many times likelier the data are if it is bad than if it is fine, log10 scale) against the bound where " +
                      "the chance of a false alarm falls to alpha split over the tests and steps. A curve reaching its bound stops the step at once " +
                      "and rolls back; a step passes only at the end of its window, with confidence bounds inside the thresholds.</p>",
                  `<table class="decisions">${row(["t", "step", "weight", "after", "decision", "why"], "th")}${ends
                      .map((l) => row([formatOffset(toMs(l.at) - start), String(l.stepIndex + 1), `${l.weight}%`, formatOffset(l.elapsedMs), l.decision === "fail" ? "stopped: certain failure" : l.decision, l.reason]))
                      .join("")}</table>`,
                  evidence,
              ];
    return [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8"/>',
        `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"/>`,
        `<title>${escapeHtml(title)}</title>`,
        "<style>body{font-family:sans-serif;margin:24px;color:#263238}table{border-collapse:collapse;margin:12px 0}" +
            "td,th{border:1px solid #cfd8dc;padding:3px 8px;text-align:left;font-size:13px}th{background:#eceff1}" +
            ".outcome{font-weight:bold}.legend span{margin-right:16px}</style>",
        "</head>",
        "<body>",
        `<h1>${escapeHtml(title)}</h1>`,
        `<p class="outcome" style="color:${color}">${escapeHtml(outcome)}</p>`,
        `<table class="summary">${summary.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("")}</table>`,
        '<p class="legend"><span style="color:#1565c0">━ canary</span><span style="color:#757575">┅ stable</span>' +
            '<span style="color:#c62828">┅ threshold</span><span>● verdict: <b style="color:#2e7d32">Successful</b> ' +
            '<b style="color:#c62828">Failed</b> <b style="color:#6a1b9a">Error</b> <b style="color:#f9a825">Inconclusive</b></span></p>',
        renderChartSvg(r),
        ...sequential,
        "<h2>Analyses</h2>",
        `<table class="samples">${row(["t", "step", "weight", "verdict", "canary success %", "canary p95 ms", "canary requests", "stable success %", "stable p95 ms", "not passed"], "th")}${samples.join("")}</table>`,
        "<h2>Events</h2>",
        `<table class="marks">${row(["#", "t", "kind", "what"], "th")}${marks.join("")}</table>`,
        "</body>",
        "</html>",
        "",
    ].join("\n");
}
