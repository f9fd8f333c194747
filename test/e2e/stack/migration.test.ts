/**
 * Migration from the single layout to per-service stacks on the real engine, with the committed command
 * (scripts/split-stack.ts, as the README documents it): the dev stack is brought up in the single layout,
 * then split into a platform stack and a service stack with `pulumi state move`. Proven: no live object is
 * deleted or recreated (every object's `metadata.uid` is unchanged), the only new object is the service's
 * delegate, the VirtualServices now delegate, and a preview of each stack afterwards has no changes.
 */
import { LocalWorkspace, PulumiCommand, type OpMap } from "@pulumi/pulumi/automation";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { expect } from "chai";
import { connectCluster, type Cluster, type KubeObject, type OurKind } from "../../support/cluster";
import { createProjectDir, programEnv, projectStack, type ProjectStack } from "../../support/pulumiProject";
import { splitStack, type SplitResult } from "../../../scripts/split-stack";

/** `Kind/name` -> uid, over every kind we create. */
function uids(all: Record<OurKind, KubeObject[]>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [kind, objs] of Object.entries(all)) {
        for (const o of objs) out[`${kind}/${o.metadata.name}`] = o.metadata.uid ?? "";
    }
    return out;
}

const changesOf = (summary: OpMap | undefined): Record<string, number> =>
    Object.fromEntries(Object.entries(summary ?? {}).filter(([op, n]) => op !== "same" && (n ?? 0) > 0)) as Record<string, number>;

describe("migration: single stack -> platform stack + per-service stacks (pulumi state move, nothing recreated)", function () {
    this.timeout(900_000);
    this.slow(120_000);
    const started = Date.now();
    const hex = randomBytes(4).toString("hex");
    const env = `mig-${hex}`;
    let cluster: Cluster;
    let projectDir = "";
    let single: ProjectStack | undefined;
    let ns = "";
    let beforeUids: Record<string, string> = {};
    let result: SplitResult | undefined;
    let out = "";
    /** A stack of the migration's project, through the built CLI. */
    const openStack = async (name: string) =>
        LocalWorkspace.selectStack(
            { stackName: name, workDir: projectDir },
            { workDir: projectDir, pulumiCommand: await PulumiCommand.get({ root: process.env["MESH_TOOLCHAIN_DIR"] ?? "" }), envVars: programEnv() },
        );

    before(async function () {
        this.timeout(120_000);
        cluster = connectCluster();
        projectDir = createProjectDir();
        single = await projectStack({ projectDir, stackName: env, envVars: { PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY: "true" } });
        ns = single.namespace;
    });

    after(async function () {
        this.timeout(600_000);
        try {
            for (const name of [...(result?.serviceStacks ?? []), env]) {
                const s = await openStack(name).catch(() => undefined);
                if (s === undefined) continue;
                await s.destroy({ onOutput: (l) => (out += l) });
                await s.workspace.removeStack(name);
            }
        } finally {
            fs.rmSync(projectDir, { recursive: true, force: true });
            console.log(`    migration e2e: ${Math.round((Date.now() - started) / 1000)} s in all (namespace ${ns})`);
        }
    });

    it("the single-layout dev stack is up", async () => {
        const s = single;
        if (s === undefined) throw new Error("no stack");
        const res = await s.stack.up({ onOutput: s.log });
        expect(res.summary.result, res.stdout).to.equal("succeeded");
        beforeUids = uids(await cluster.listOurs(ns));
        expect(Object.keys(beforeUids)).to.include.members(["VirtualService/sample-app", "VirtualService/ingress", "DestinationRule/sample-app", "Deployment/sample-app-v1"]);
    });

    it("split-stack moves the service to its own stack: every object keeps its uid, the delegate is the only new object, the routes delegate", async () => {
        expect(Object.keys(beforeUids), "the single stack was up").to.not.deep.equal([]);
        result = await splitStack({
            workDir: projectDir,
            stack: env,
            pulumiCommand: await PulumiCommand.get({ root: process.env["MESH_TOOLCHAIN_DIR"] ?? "" }),
            envVars: { ...programEnv(), PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY: "true" },
            log: (l) => (out += l),
        });
        expect(result.serviceStacks).to.deep.equal([`${env}.sample-app`]);
        expect(result.moved[`${env}.sample-app`]?.map((u) => u.slice(u.lastIndexOf("::") + 2))).to.deep.equal(["sample-app", "sample-app"]);
        const after = uids(await cluster.listOurs(ns));
        for (const [key, uid] of Object.entries(beforeUids)) {
            expect(after[key], `${key} uid (deleted or recreated?)`).to.equal(uid);
        }
        expect(Object.keys(after).filter((k) => beforeUids[k] === undefined)).to.deep.equal(["VirtualService/sample-app-delegate"]);
        const ingress = await cluster.getIstio("VirtualService", ns, "ingress");
        expect(ingress?.spec?.["http"]).to.deep.equal([{ name: "route-0", match: [{ uri: { prefix: "/" } }], delegate: { name: "sample-app-delegate", namespace: ns } }]);
        const mesh = await cluster.getIstio("VirtualService", ns, "sample-app");
        expect(mesh?.spec?.["http"]).to.deep.equal([{ delegate: { name: "sample-app-delegate", namespace: ns } }]);
    });

    it("afterwards a preview of the platform stack and of the service stack has no changes", async () => {
        if (result === undefined) throw new Error("the split failed");
        for (const name of [env, ...result.serviceStacks]) {
            const s = await openStack(name);
            const p = await s.preview({ onOutput: (l) => (out += l) });
            expect(changesOf(p.changeSummary), `${name}: ${p.stdout}`).to.deep.equal({});
        }
    });
});
