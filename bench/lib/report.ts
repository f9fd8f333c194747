/**
 * Output of the benchmark scripts: a Markdown table for the terminal and for BENCHMARKS.md, the machine
 * the numbers were taken on, and the rewrite of ONE script's section of BENCHMARKS.md between its markers
 * (`<!-- bench:<name>:start -->` ... `<!-- bench:<name>:end -->`), so each script owns its section and
 * never touches the others'.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The repository root (this file is bench/lib/report.ts). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** BENCHMARKS.md at the repository root. */
export const BENCHMARKS_FILE = path.join(REPO_ROOT, "BENCHMARKS.md");

/** Pure: a Markdown table; every row must have as many cells as `header`. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
    for (const r of rows) {
        if (r.length !== header.length) {
            throw new Error(`markdownTable: a row has ${r.length} cells, the header ${header.length}: ${r.join(" | ")}`);
        }
    }
    const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
    return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

const markers = (name: string): { start: string; end: string } => ({
    start: `<!-- bench:${name}:start -->`,
    end: `<!-- bench:${name}:end -->`,
});

/**
 * Pure: `doc` with the text between the markers of section `name` replaced by `body`. A section that is
 * not there yet is appended at the end. Throws when the markers are there but out of order.
 */
export function replaceSection(doc: string, name: string, body: string): string {
    const { start, end } = markers(name);
    const block = `${start}\n${body.trim()}\n${end}`;
    const i = doc.indexOf(start);
    const j = doc.indexOf(end);
    if (i < 0 && j < 0) {
        return `${doc.trimEnd()}\n\n${block}\n`;
    }
    if (i < 0 || j < i) {
        throw new Error(`BENCHMARKS.md: the markers of section "${name}" are missing or out of order; fix them by hand`);
    }
    return doc.slice(0, i) + block + doc.slice(j + end.length);
}

/** Rewrites section `name` of BENCHMARKS.md (the file must exist: it holds the other sections). */
export function writeSection(name: string, body: string, file: string = BENCHMARKS_FILE): void {
    const doc = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmarks\n";
    fs.writeFileSync(file, replaceSection(doc, name, body));
}

/** The machine and date line of a section: `nproc`, memory, CPU model, Node, and the UTC date. */
export function machineLine(now: Date = new Date()): string {
    const cpuinfo = fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
    const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown CPU";
    let nproc = String(os.availableParallelism());
    try {
        nproc = execFileSync("nproc", { encoding: "utf8" }).trim();
    } catch {
        // nproc is coreutils; os.availableParallelism() is the same number where it is missing
    }
    const memGiB = (os.totalmem() / 2 ** 30).toFixed(1);
    return (
        `Machine: ${nproc} CPUs (\`nproc\`), ${memGiB} GiB RAM, ${model}, Node ${process.version}, ` +
        `${os.type()} ${os.release()}. Measured ${now.toISOString().slice(0, 16).replace("T", " ")} UTC, ` +
        "with other engineers' builds and tests sharing the CPUs (hence ratios from one run, medians, min and max)."
    );
}

/** The 1, 5 and 15 minute load averages, as `uptime` prints them. */
export function loadAverage(): string {
    return os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(", ");
}

/** The load line of a section: what else ran on the machine, at the start and at the end of the run. */
export function loadLine(atStart: string, atEnd: string = loadAverage()): string {
    return `Load average (1, 5, 15 min, \`uptime\`): ${atStart} at the start, ${atEnd} at the end (${os.cpus().length} cores; a cold CI run or another session's build may share them).`;
}
