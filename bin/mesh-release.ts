#!/usr/bin/env node
/**
 * `mesh-release`: progressive delivery of a service through its Pulumi stack. The process edge only: the
 * Pulumi stack driver (Automation API), the Prometheus provider, stdout/stderr, SIGINT/SIGTERM and the exit
 * code. Everything else is release/cli/.
 *
 *   mesh-release canary --env production --service checkout --version v2 [--steps 10,25,50] [--interval 30s] [--report out.html]
 *     (the service's stack is production.checkout, or production in the single-stack layout; --stack names one)
 *   mesh-release promote|rollback|abort --stack dev --service sample-app
 *   mesh-release ab-test --stack dev --service sample-app --flag x-new-feature [--cookie] [--split 50]
 *   mesh-release fault delay 10 --delay 2s | fault abort 5 --status 503 | fault clear   (--stack, --service)
 *   mesh-release status --stack dev --service sample-app [--json]
 *   mesh-release import [--stack dev] [--skip-unsupported] istio.yaml ...   (existing Istio YAML -> the routing key)
 *
 * Exit codes: 0 promoted / done, 1 rolled back, 2 usage or config error, 3 infrastructure error.
 * The first SIGINT/SIGTERM cancels the running update and rolls the rollout back, then exits; a second one
 * exits at once (a rerun of the same command resumes from the recorded state).
 */
import { withPlatformRelease } from "../release/driver/platform";
import { PulumiStackDriver } from "../release/driver/pulumiStack";
import { programFor } from "../release/driver/program";
import { prometheusForPolicy } from "../release/metrics/prometheus";
import { runCli, type Connect, type ConnectEnv } from "../release/cli";
import { stackValidator } from "../release/env/check";
import { PulumiEnvDriver } from "../release/driver/envStacks";
import { environmentCheck } from "../release/env/check";
import { kubeLiveReader } from "../release/driver/kubeLive";

const connect: Connect = (common, target, hooks) => {
    const driverFor = (stackName: string): PulumiStackDriver =>
        new PulumiStackDriver({
            stackName,
            workDir: common.workDir,
            pulumiRoot: common.pulumiRoot,
            program: programFor(common.program, common.workDir),
            onOutput: hooks.onOutput,
            onNotice: hooks.onNotice,
        });
    const own = driverFor(target.stack);
    return {
        // A service stack's release policy is its platform stack's, overlaid by its own.
        driver: target.platformStack !== undefined ? withPlatformRelease(own, driverFor(target.platformStack)) : own,
        metrics: prometheusForPolicy,
        validate: stackValidator,
        // The live VirtualService from the API server of the current kubeconfig ($KUBECONFIG or ~/.kube/config).
        live: { read: kubeLiveReader() },
    };
};

const connectEnv: ConnectEnv = (common, hooks) => {
    const driver = new PulumiEnvDriver({ workDir: common.workDir, pulumiRoot: common.pulumiRoot, program: programFor(common.program, common.workDir), onOutput: hooks.onOutput });
    return { driver, deployed: () => driver.deployed(), check: environmentCheck(common.workDir) };
};

function main(): void {
    const controller = new AbortController();
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
        signals++;
        if (signals === 1) {
            process.stderr.write(`\nmesh-release: ${signal}: cancelling the running update and rolling back; ${signal} again exits at once\n`);
            controller.abort();
            return;
        }
        process.stderr.write(`\nmesh-release: ${signal} again: exiting now; run the same command again to resume, or mesh-release rollback\n`);
        process.exit(signal === "SIGINT" ? 130 : 143);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    // A reader that goes away (`mesh-release status | head`) must not crash a rollout midway with EPIPE:
    // from then on that stream's output is dropped and the command runs to its end.
    const closed = new Set<NodeJS.WriteStream>();
    for (const stream of [process.stdout, process.stderr]) {
        stream.on("error", (err: NodeJS.ErrnoException) => {
            if (err.code !== "EPIPE") {
                throw err;
            }
            closed.add(stream);
        });
    }
    const write = (stream: NodeJS.WriteStream) => (text: string) => void (closed.has(stream) ? undefined : stream.write(text));
    runCli(process.argv.slice(2), {
        stdout: write(process.stdout),
        stderr: write(process.stderr),
        tty: process.stdout.isTTY === true,
        cwd: process.cwd(),
        env: process.env,
        connect,
        connectEnv,
        signal: controller.signal,
        readStdin,
    }).then(
        (code) => exit(code),
        (err: unknown) => {
            // runCli does not throw; this is a bug guard.
            process.stderr.write(`mesh-release: ${err instanceof Error ? err.message : String(err)}\n`);
            exit(3);
        },
    );
}

/** Standard input, whole, as text (`mesh-release import -`). */
async function readStdin(): Promise<string> {
    process.stdin.setEncoding("utf8");
    let text = "";
    for await (const chunk of process.stdin) {
        text += String(chunk);
    }
    return text;
}

/** Exits once stdout has flushed (a pipe to jq must get the last line). */
function exit(code: number): void {
    if (process.stdout.writableEnded || process.stdout.destroyed) {
        process.exit(code);
    }
    process.stdout.write("", () => process.exit(code));
}

main();
