/**
 * CPU time of a benchmark: this process's own user + system time plus that of every child it has waited
 * for (and, transitively, their waited-for children: the Pulumi CLI reaps its language hosts and providers),
 * from /proc/self/stat. Unlike wall time it does not move with other work on the machine, so it says what a
 * run costs, and `cpu s / cores` is a floor under the wall time of work that has to share the cores.
 */
import * as fs from "node:fs";
import * as os from "node:os";

/** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux architecture Node supports). */
const USER_HZ = 100;

/** Seconds of CPU used so far by this process and its reaped descendants. */
export function cpuSeconds(): number {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    // pid (comm) state ppid ... : fields after the last ')' start at field 3 (state); utime is field 14
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
    const [utime, stime, cutime, cstime] = [f[11], f[12], f[13], f[14]].map((x) => x ?? 0);
    return ((utime ?? 0) + (stime ?? 0) + (cutime ?? 0) + (cstime ?? 0)) / USER_HZ;
}

/** CPU seconds used between start() and the returned stop(). Children still running at stop() are not counted. */
export function cpuMeter(): { stop(): number } {
    const t0 = cpuSeconds();
    return { stop: () => cpuSeconds() - t0 };
}

export const cores = (): number => os.cpus().length;
