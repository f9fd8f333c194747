/**
 * The policy pack (policy/) on the real engine: the built CLI runs it through the language host front
 * (scripts/toolchain.sh build langhost-policy) with `--policy-pack policy --policy-pack-config
 * policy/config/production.json`, as a platform team requires it, on a dev stack of our program on the local
 * kube-apiserver. One stack, in order: a compliant `up` passes (the pack ran: its name is in the output); a preview of a
 * config that breaks two mandatory rules (an external host off the allow-list: a resource policy; a 50-point canary
 * step: a stack policy) is refused with both rules' messages; an `up` of it is refused and the ServiceEntry of the host
 * off the list is not created. Not proven here: each rule's cases (test/unit/policy/policies.test.ts does that).
 */
import { expect } from "chai";
import { connectCluster, type Cluster } from "../../support/cluster";
import { policyCli, policyConfigFile, POLICY_PACK_DIR } from "../../support/policyPack";
import { projectStack, type PlainConfig, type ProjectStack } from "../../support/pulumiProject";

const ALLOWED = "api.external-service.com";
const OFF_LIST = "httpbin.org";

describe("policy pack on the real engine (pulumi up --policy-pack policy --policy-pack-config policy/config/production.json)", function () {
    this.timeout(300_000);
    this.slow(60_000);
    let cluster: Cluster;
    let project: ProjectStack | undefined;
    const policy = { policyPacks: [POLICY_PACK_DIR], policyPackConfigs: [policyConfigFile("production")] };

    before(async () => {
        cluster = connectCluster();
        const cli = policyCli();
        project = await projectStack({
            ...cli,
            edit: (c: PlainConfig) => {
                c["egress"] = [{ host: ALLOWED, port: 443 }];
                c["release"] = { ...(c["release"] as Record<string, unknown>), steps: [10, 25, 50, 75, 100] };
            },
        });
    });

    after(async () => {
        await project?.dispose();
    });

    it("a compliant stack passes: up succeeds with the pack loaded", async () => {
        const p = project!;
        const res = await p.stack.up({ ...policy, onOutput: p.log });
        expect(res.summary.result).to.equal("succeeded");
        expect(p.output()).to.contain("mesh-guardrails@v0.1.0");
        expect(p.output()).not.to.match(/\[mandatory\]/);
        expect(await cluster.getIstio("ServiceEntry", p.namespace, `egress-${ALLOWED.replace(/\./g, "-")}`)).not.to.equal(undefined);
    });

    it("a preview that breaks mandatory rules is refused with each rule's message", async () => {
        const p = project!;
        await p.setConfigPath("egress[1].host", OFF_LIST);
        await p.setConfigPath("egress[1].port", 443);
        await p.stack.removeConfig("mesh-traffic:release.steps", true);
        await p.setConfigPath("release.steps[0]", 50);
        await p.setConfigPath("release.steps[1]", 100);
        const before = p.output().length;
        const err = await p.stack.preview({ ...policy, onOutput: p.log }).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(err, "preview should fail").to.be.instanceOf(Error);
        const out = p.output().slice(before) + String(err?.message);
        expect(out, out.slice(-3000)).to.contain("[mandatory]  egress-allowlist");
        expect(out).to.contain(`spec.hosts[0] is "${OFF_LIST}", an external host this environment does not allow (allowed: ${ALLOWED})`);
        expect(out).to.contain("[mandatory]  canary-step-limit");
        expect(out).to.contain("stack config release.steps[0] is 50 after 0: a step of 50 percentage points; this environment allows at most 25 per step");
    });

    it("an up that breaks them is refused, and the ServiceEntry of the host off the list is not created", async () => {
        const p = project!;
        const before = p.output().length;
        const err = await p.stack.up({ ...policy, onOutput: p.log }).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(err, "up should fail").to.be.instanceOf(Error);
        expect(p.output().slice(before) + String(err?.message)).to.contain("egress-allowlist");
        expect(await cluster.getIstio("ServiceEntry", p.namespace, `egress-${OFF_LIST.replace(/\./g, "-")}`)).to.equal(undefined);
        expect(await cluster.getIstio("ServiceEntry", p.namespace, `egress-${ALLOWED.replace(/\./g, "-")}`)).not.to.equal(undefined);
    });
});
