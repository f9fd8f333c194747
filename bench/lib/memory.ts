/**
 * Peak memory of a benchmark: the summed RSS of every process below this one (the Pulumi CLI, language
 * hosts, providers), and of this process too when the program runs inline, sampled from /proc.
 */
import * as fs from "node:fs";

/** Every process below `root` (not `root` itself), from /proc. */
export function descendants(root: number): number[] {
    const children = new Map<number, number[]>();
    for (const d of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(d)) continue;
        let stat: string;
        try {
            stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
        } catch {
            continue; // gone
        }
        // pid (comm) state ppid ...: comm may hold spaces and parentheses; ppid follows the last ')'
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        const list = children.get(ppid) ?? [];
        list.push(Number(d));
        children.set(ppid, list);
    }
    const out: number[] = [];
    const todo = [...(children.get(root) ?? [])];
    while (todo.length > 0) {
        const p = todo.pop() as number;
        out.push(p);
        todo.push(...(children.get(p) ?? []));
    }
    return out;
}

function rssKiB(pid: number): number {
    try {
        const m = /^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        return m === null ? 0 : Number(m[1]);
    } catch {
        return 0;
    }
}

/** Samples the summed RSS of this process's descendants (and its own, with an inline program) every `everyMs` until stopped; returns the peak, MiB. */
export function memorySampler(includeSelf: boolean, everyMs = 100): { stop(): number } {
    let peak = 0;
    const tick = (): void => {
        const total = descendants(process.pid).reduce((s, p) => s + rssKiB(p), includeSelf ? rssKiB(process.pid) : 0);
        peak = Math.max(peak, total);
    };
    const timer = setInterval(tick, everyMs);
    tick();
    return {
        stop: () => {
            clearInterval(timer);
            tick();
            return peak / 1024;
        },
    };
}
