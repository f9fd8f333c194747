/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) into self and inclusive time per function, so
 * two profiles (say 100 and 500 services) can be compared function by function: a function whose time
 * grows much faster than N is the superlinear one.
 */
import * as fs from "node:fs";
import * as path from "node:path";

interface ProfileNode {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
}

interface CpuProfile {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
}

/** Time of one function, ms. */
export interface FunctionTime {
    /** `name (file:line)`, file relative to the repo (`node_modules/...` kept as is). */
    key: string;
    /** Whether the function is in this repository's code (not node_modules, not Node's internals). */
    ours: boolean;
    selfMs: number;
    /** Time with the function anywhere on the stack (recursion counted once). */
    totalMs: number;
}

/** Pure: self and inclusive time per function of a parsed profile; `root` makes file names relative. */
export function functionTimes(profile: CpuProfile, root: string): Map<string, FunctionTime> {
    const parent = new Map<number, number>();
    const byId = new Map<number, ProfileNode>();
    for (const n of profile.nodes) {
        byId.set(n.id, n);
        for (const c of n.children ?? []) {
            parent.set(c, n.id);
        }
    }
    const keyOf = (n: ProfileNode): string => {
        const url = n.callFrame.url.replace(/^file:\/\//, "");
        const file = url.startsWith(root) ? path.relative(root, url) : url === "" ? "(native)" : url;
        return `${n.callFrame.functionName === "" ? "(anonymous)" : n.callFrame.functionName} (${file}:${n.callFrame.lineNumber + 1})`;
    };
    const ours = (n: ProfileNode): boolean => {
        const url = n.callFrame.url.replace(/^file:\/\//, "");
        return url.startsWith(root) && !url.includes("/node_modules/");
    };
    const out = new Map<string, FunctionTime>();
    const entry = (n: ProfileNode): FunctionTime => {
        const key = keyOf(n);
        let e = out.get(key);
        if (e === undefined) {
            e = { key, ours: ours(n), selfMs: 0, totalMs: 0 };
            out.set(key, e);
        }
        return e;
    };
    profile.samples.forEach((id, i) => {
        // timeDeltas[i] is the time before sample i; attribute it to the sample (µs -> ms).
        const ms = (profile.timeDeltas[i] ?? 0) / 1000;
        const node = byId.get(id);
        if (node === undefined) {
            return;
        }
        entry(node).selfMs += ms;
        const seen = new Set<string>();
        for (let cur: ProfileNode | undefined = node; cur !== undefined; cur = byId.get(parent.get(cur.id) ?? -1)) {
            const e = entry(cur);
            if (!seen.has(e.key)) {
                seen.add(e.key);
                e.totalMs += ms;
            }
        }
    });
    return out;
}

/** Reads a `.cpuprofile` file into {@link functionTimes}. */
export function readFunctionTimes(file: string, root: string): Map<string, FunctionTime> {
    return functionTimes(JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile, root);
}

/** The newest `.cpuprofile` in `dir` (node names them by time and pid). */
export function newestProfile(dir: string): string {
    const files = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".cpuprofile"))
        .map((f) => path.join(dir, f))
        .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    const first = files[0];
    if (first === undefined) {
        throw new Error(`no .cpuprofile in ${dir}; did the child run with --cpu-prof?`);
    }
    return first;
}
