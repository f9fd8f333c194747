/**
 * Writes a rollout report next to its JSON: `<name>.html` (the page) and `<name>.json` (the
 * {@link RolloutReport} itself, for tooling). The thin I/O edge of the report renderer.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { RolloutReport } from "../core/events";
import { renderReportHtml } from "./render";

/** Where the JSON of the page at `htmlPath` goes: the same path with `.json` instead of `.html`/`.htm` (else `.json` added). */
export function reportJsonPath(htmlPath: string): string {
    return htmlPath.replace(/\.html?$/i, "") + ".json";
}

/**
 * @param report the report to write.
 * @param htmlPath where the page goes; the JSON goes to the same path with `.json` instead of `.html`.
 * @returns the absolute paths written.
 */
export function writeReportFiles(report: RolloutReport, htmlPath: string): { html: string; json: string } {
    const html = path.resolve(htmlPath);
    const json = reportJsonPath(html);
    fs.mkdirSync(path.dirname(html), { recursive: true });
    fs.writeFileSync(html, renderReportHtml(report));
    fs.writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    return { html, json };
}
