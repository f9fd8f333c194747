/**
 * Runs one benchmark sample in a fresh Node process (so one sample's heap, module cache and Pulumi
 * runtime state never leak into the next) and reads back the one JSON line it prints last on stdout.
 */
import { spawn } from "node:child_process";

export interface ChildOptions {
    /** Extra Node flags, e.g. `--cpu-prof`. Default none. */
    nodeFlags?: string[];
    /** Extra environment. Default none (the parent's is inherited). */
    env?: Record<string, string>;
    /** Kill the child after this many ms. Default 600000 (10 min). */
    timeoutMs?: number;
}

/**
 * Runs `node [ts-node register] <script> <args>` and resolves with the JSON value of the last stdout line.
 * The child inherits the parent's `-r ts-node/register/transpile-only` (or runs compiled JS as the parent does).
 */
export function runChild<T>(script: string, args: readonly string[], opts: ChildOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
        const child = spawn(process.execPath, [...process.execArgv, ...(opts.nodeFlags ?? []), script, ...args], {
            env: { ...process.env, ...opts.env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 600_000);
        child.on("error", reject);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            const last = out.trim().split("\n").pop() ?? "";
            if (code !== 0) {
                reject(new Error(`${script} ${args.join(" ")} exited with ${code ?? signal}:\n${err.slice(-2000)}${out.slice(-1000)}`));
                return;
            }
            try {
                resolve(JSON.parse(last) as T);
            } catch {
                reject(new Error(`${script} ${args.join(" ")} printed no JSON result line; stdout ends with: ${last.slice(0, 500)}`));
            }
        });
    });
}
