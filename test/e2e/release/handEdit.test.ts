/**
 * Hand edits of the live VirtualService on the real engine (issue 10): a rollout is running its first step
 * (25 %) and, during the step's analysis window, a person patches the VirtualService with the Kubernetes
 * client as `kubectl patch --type json` would. The rollout must stop with exit 3 naming the object and both
 * values, no later `pulumi up` may overwrite the patch, and a `mesh-release rollback` run afterwards must name
 * the hand edit it overwrites before its update and end at 0 %. Both directions: a patch to 100 % canary (the
 * rollback reverts a traffic change: a warning) and a manual kill switch to 0 % canary (the rollback keeps the
 * split: a note). Both commands run as the CLI (`npx mesh-release` in the project dir, a process each; no step
 * waits for istiod, as none does for a user).
 *
 * Not proven here: real Envoy behaviour (the simulator follows istiod's routes, as in release.test.ts).
 */
import { expect } from "chai";
import { liveSplitOf, type LiveVirtualService } from "../../../release/core/live";
import { connectCluster, type JsonPatchOp, type KubeObject } from "../../support/cluster";
import type { ReleaseEvent } from "../../../release/core/events";
import { e2eRelease, meshRelease, SERVICE, simShare, startReleaseEnv, type ReleaseEnv } from "./harness";

/** What a CLI run of the canary gave: its exit code, its final message and its events (--json). */
interface Run {
    result: { exitCode: number | null; message: string };
    events: ReleaseEvent[];
}

const STEPS = [25, 100];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The JSON patch a person would write: the catch-all route sends everything to one subset. */
function catchAllTo(vs: KubeObject, subset: "canary" | "stable"): JsonPatchOp[] {
    const http = (vs.spec?.["http"] ?? []) as { name?: string; route?: { destination?: { host?: string } }[] }[];
    const i = http.findIndex((r) => r.name === "catch-all");
    expect(i, `no catch-all route in ${JSON.stringify(vs.spec)}`).to.be.greaterThan(-1);
    const host = http[i]?.route?.[0]?.destination?.host ?? SERVICE;
    return [{ op: "replace", path: `/spec/http/${i}/route`, value: [{ destination: { host, subset }, weight: 100 }] }];
}

describe("hand edits of the live VirtualService mid-step (real engine, istiod, simulator, Prometheus)", function () {
    this.timeout(300_000);
    let env: ReleaseEnv;
    const cluster = connectCluster();
    const started = Date.now();

    before(async function () {
        // On a cold machine, startReleaseEnv waits for the background pilot-discovery build (scripts/e2e.sh).
        this.timeout(process.env["MESH_ISTIOD_BUILD_RC_FILE"] !== undefined ? 1_900_000 : 240_000);
        const t0 = Date.now();
        env = await startReleaseEnv({ rps: 200, release: e2eRelease(STEPS, "4s"), namespacePrefix: "mesh-hand" });
        console.log(`      environment up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });

    after(async () => {
        await env?.dispose();
        console.log(`    hand-edit e2e: ${Math.round((Date.now() - started) / 1000)} s in all`);
    });

    const liveCanary = async (): Promise<number | undefined> =>
        liveSplitOf((await cluster.listIstio("VirtualService", env.namespace)) as LiveVirtualService[], env.namespace, SERVICE)?.canary;

    /**
     * `npx mesh-release canary --version <version> --json` (a process of its own, as a person or CI runs it: its
     * lease on the stack is freed when it exits, so the rollback after it can run); at the start of step 1's
     * window, the catch-all is patched to `subset`.
     */
    async function canaryPatchedTo(version: string, subset: "canary" | "stable"): Promise<{ run: Run; patched: KubeObject }> {
        let patching: Promise<KubeObject> | undefined;
        const events: ReleaseEvent[] = [];
        const t0 = Date.now();
        const cli = await meshRelease(env.workDir, ["canary", "--stack", env.stackName, "--service", SERVICE, "--version", version, "--json"], (line) => {
            const e = JSON.parse(line) as ReleaseEvent;
            events.push(e);
            if (e.type === "analysis-waiting" && e.stepIndex === 0 && patching === undefined) {
                patching = (async () => {
                    const vs = await cluster.getIstio("VirtualService", env.namespace, SERVICE);
                    expect(vs, "the live VirtualService").to.not.equal(undefined);
                    return cluster.patchIstio("VirtualService", env.namespace, SERVICE, catchAllTo(vs!, subset));
                })();
            }
        });
        expect(patching, `the rollout never reached step 1's window:\n${cli.stdout}${cli.stderr}`).to.not.equal(undefined);
        const ups = events.flatMap((e) => (e.type === "update-finished" ? [`${e.purpose} ${(e.durationMs / 1000).toFixed(1)} s`] : []));
        console.log(`      canary ${version}: exit ${cli.code} in ${((Date.now() - t0) / 1000).toFixed(1)} s (pulumi up: ${ups.join(", ")})`);
        const end = events[events.length - 1];
        const result = end?.type === "rollout-finished" ? { exitCode: cli.code, message: end.message } : { exitCode: cli.code, message: `${cli.stdout}${cli.stderr}` };
        return { run: { result, events }, patched: await patching! };
    }

    /** The stop, then nothing more: exit 3 naming the object and both values, one update only, the patch still live. */
    async function expectStoppedLeavingPatch(run: Run, patched: KubeObject, live: number): Promise<void> {
        const object = `VirtualService ${env.namespace}/${SERVICE}`;
        expect(run.result.exitCode, run.result.message).to.equal(3);
        expect(run.result.message).to.include(`${object} sends ${live}% to the canary, but this step applied ${STEPS[0]}% (was it edited by hand?)`);
        expect(run.events.filter((e) => e.type === "analysis"), "a window was judged").to.deep.equal([]);
        expect(run.events.filter((e) => e.type === "update-started").map((e) => e.type === "update-started" && e.purpose)).to.deep.equal(["shift"]);
        // No later update: the object is the patched one (same resourceVersion) and says what the patch said.
        await sleep(1000);
        const now = await cluster.getIstio("VirtualService", env.namespace, SERVICE);
        expect(now?.metadata.resourceVersion, "the VirtualService changed after the patch").to.equal(patched.metadata.resourceVersion);
        expect(await liveCanary()).to.equal(live);
    }

    /** `npx mesh-release rollback`: exit 0, the hand edit named before the update, 0 % canary at the end. */
    async function rollbackNaming(version: string, expected: string): Promise<void> {
        const t0 = Date.now();
        const r = await meshRelease(env.workDir, ["rollback", "--stack", env.stackName, "--service", SERVICE]);
        console.log(`      rollback: exit ${r.code} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        const out = r.stdout + r.stderr;
        expect(r.code, out).to.equal(0);
        expect(out).to.include(expected);
        expect(out.indexOf(expected), "named before the rollback's update").to.be.lessThan(out.indexOf("pulumi up: "));
        expect(out).to.include(`  hand edit: ${expected.replace(/^(warning|note): /, "")}`);
        expect(await liveCanary()).to.equal(0);
        const t1 = Date.now();
        while (simShare(env.sim, version) !== 0 && Date.now() - t1 < 15_000) await sleep(50);
        expect(simShare(env.sim, version), "the simulator still routes to the canary").to.equal(0);
    }

    it("patched to 100 % canary: stops with exit 3, the patch stays; the rollback warns that it reverts it, and ends at 0 %", async () => {
        const { run, patched } = await canaryPatchedTo("v2", "canary");
        await expectStoppedLeavingPatch(run, patched, 100);
        await rollbackNaming(
            "v2",
            `warning: VirtualService ${env.namespace}/${SERVICE} sends 100% to the canary v2, not the ${STEPS[0]}% the last update applied: edited by hand. ` +
                "This rollback overwrites it: 0% to v2, 100% to stable v1",
        );
    });

    it("a manual kill switch (0 % canary): stops with exit 3; the rollback notes that it keeps the split", async () => {
        const { run, patched } = await canaryPatchedTo("v3", "stable");
        await expectStoppedLeavingPatch(run, patched, 0);
        await rollbackNaming(
            "v3",
            `note: VirtualService ${env.namespace}/${SERVICE} sends 0% to the canary v3, not the ${STEPS[0]}% the last update applied: edited by hand. ` +
                "This rollback writes the same split (0% to v3), so traffic does not change; Pulumi's object replaces the edited one",
        );
    });
});
