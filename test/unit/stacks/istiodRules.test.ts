/**
 * Config that passes Istio's CRD schema (and its webhook) but that istiod drops or warns about, refused by our own
 * validation before `up` with the path, the rule and the fix. test/e2e/istiod/badInput.test.ts shows istiod's side
 * of each case on a real istiod.
 */
import { expect } from "chai";
import type { StackConfigProblem } from "../../../stacks/config";
import { parseStackConfig, StackConfigError } from "../../../stacks/readConfig";
import { baseStackConfig, sampleApp, type RawStack } from "../../support/stackFixtures";

function problemsFor(edit: (raw: RawStack) => void): readonly StackConfigProblem[] {
    const raw = baseStackConfig();
    edit(raw);
    try {
        parseStackConfig("test", raw, { secretKeys: [] });
    } catch (err) {
        expect(err).to.be.instanceOf(StackConfigError);
        return (err as StackConfigError).problems;
    }
    return [];
}

describe("stack config: what istiod drops or warns about is refused before up", () => {
    for (const code of [300, 304, 305, 306, 309, 399]) {
        it(`redirectCode ${code} (a 3xx istiod does not translate: it sends the route without an action)`, () => {
            const problems = problemsFor((r) => (sampleApp(r)["redirects"] = [{ prefix: "/old", uri: "/new", redirectCode: code }]));
            expect(problems).to.have.length(1);
            expect(problems[0]?.propertyPath).to.equal("services.sample-app.redirects[0].redirectCode");
            expect(problems[0]?.reason).to.equal(
                `services.sample-app.redirects[0].redirectCode is ${code}; istiod only translates 301, 302, 303, 307, 308 ` +
                    "(any other 3xx route is sent without an action and Envoy rejects it): use one of them",
            );
            expect(problems[0]?.fix).to.match(/^pulumi config set --path 'services\.sample-app\.redirects\[0\]\.redirectCode'/);
        });
    }

    it("every code istiod translates is accepted", () => {
        for (const code of [301, 302, 303, 307, 308]) {
            expect(problemsFor((r) => (sampleApp(r)["redirects"] = [{ prefix: "/old", uri: "/new", redirectCode: code }])), String(code)).to.deep.equal([]);
        }
    });

    it("a canary with weight > 0 and 0 replicas (its subset selects no endpoint: 503 UH for that share)", () => {
        const problems = problemsFor((r) => {
            const s = sampleApp(r);
            s.canary = { ...s.canary, version: "v2", weight: 25, replicas: 0 };
        });
        expect(problems).to.deep.equal([
            {
                propertyPath: "services.sample-app.canary.replicas",
                reason:
                    'services.sample-app.canary.replicas is 0 but the catch-all route sends 25 % to the canary version "v2": its subset would ' +
                    "select no endpoint (istiod: cluster without instances) and Envoy answers that traffic with 503 (no healthy upstream)",
                fix:
                    "pulumi config set --path 'services.sample-app.canary.replicas' 1, or route nothing to it: " +
                    "pulumi config set --path 'services.sample-app.canary.routed' false and weight 0",
            },
        ]);
    });

    it("a service-wide replicas 0 names services.<svc>.replicas; an unrouted canary or weight 100 spares the version without traffic", () => {
        const all = problemsFor((r) => {
            const s = sampleApp(r);
            s["replicas"] = 0;
            s.canary = { ...s.canary, version: "v2", weight: 100 };
        });
        expect(all.map((p) => p.propertyPath)).to.deep.equal(["services.sample-app.replicas"]);
        expect(all[0]?.reason).to.match(/the catch-all route sends 100 % to the canary version "v2"/);
        expect(problemsFor((r) => {
            const s = sampleApp(r);
            s.canary = { ...s.canary, version: "v2", weight: 0, routed: false, replicas: 0 };
            s["pins"] = [];
        })).to.deep.equal([]);
    });
});

describe("stack config: Pulumi.yaml defaults the CLI passes as if set", () => {
    it('platformStack: "" (its declared default) in a single-layout stack is not "set"', () => {
        const raw = baseStackConfig();
        raw["layout"] = "single";
        raw["platformStack"] = "";
        expect(() => parseStackConfig("test", raw, { secretKeys: [] })).to.not.throw();
        raw["platformStack"] = "production";
        expect(() => parseStackConfig("test", raw, { secretKeys: [] })).to.throw(StackConfigError, /platformStack is set, but this stack has layout "single"/);
    });
});
