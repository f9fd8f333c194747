/**
 * One `runCanary` in its own process, for the SIGKILL test: the parent passes `{"stackName","workDir","version"}`
 * as argv[2] and reads the events as JSON lines on stdout; the last line is `{"type":"result",...}`. Not a test
 * file (the e2e spec glob is *.test.ts).
 */
import { runCanary } from "../../../release/rollout";
import { releaseDeps, SERVICE, type StackRef } from "./harness";

const args = JSON.parse(process.argv[2] ?? "{}") as StackRef & { version: string };
const line = (o: unknown): void => {
    process.stdout.write(`${JSON.stringify(o)}\n`);
};

runCanary({ service: SERVICE, version: args.version }, releaseDeps(args, line, { holder: `canaryChild pid ${process.pid}` })).then(
    (result) => {
        line({ type: "result", ...result });
        process.exit(result.exitCode);
    },
    (err: unknown) => {
        process.stderr.write(`canaryChild: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(3);
    },
);
