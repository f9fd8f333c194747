import { expect } from "chai";
import { buildCommand, parseBehavior, parseHeaderMix, parseWeights, toSimulatorOptions } from "../../../sim/cli";

describe("sim/cli", () => {
    it("parseWeights reads VERSION=WEIGHT lists", () => {
        expect(parseWeights("v1=90, v2=10")).to.deep.equal({ v1: 90, v2: 10 });
        expect(() => parseWeights("v1:90")).to.throw('"v1:90" is not VERSION=WEIGHT; write e.g. v1=90,v2=10');
    });

    it("parseBehavior reads VERSION:KEY=NUMBER and validates the keys and ranges", () => {
        expect(parseBehavior("v2:errorRate=0.2,latencyMs=50")).to.deep.equal(["v2", { errorRate: 0.2, latencyMs: 50 }]);
        expect(() => parseBehavior("errorRate=0.2")).to.throw("is not VERSION:KEY=VALUE");
        expect(() => parseBehavior("v2:errorRate=abc")).to.throw('"errorRate=abc" in --behavior is not KEY=NUMBER');
        expect(() => parseBehavior("v2:errorRate=1.5")).to.throw("--behavior v2.errorRate");
        expect(() => parseBehavior("v2:colour=1")).to.throw("--behavior v2");
    });

    it("parseHeaderMix reads HEADER=VALUE@SHARE", () => {
        expect(parseHeaderMix("X-Canary=true@0.1")).to.deep.equal({ share: 0.1, headers: { "x-canary": "true" } });
        expect(() => parseHeaderMix("x-canary=true@2")).to.throw("SHARE in 0..1");
    });

    it("flags become simulator options (fixed mode needs no kubeconfig)", async () => {
        const cmd = buildCommand();
        cmd.parse(
            ["--service", "sample-app", "--namespace", "shop", "--fixed", "v1=90,v2=10", "--rps", "50", "--max-duration", "30s",
             "--behavior", "v2:errorRate=0.2", "--behavior", "v2:latencyMs=300"],
            { from: "user" },
        );
        const opts = await toSimulatorOptions(cmd.opts());
        expect(opts).to.deep.include({
            service: { name: "sample-app", namespace: "shop" },
            rps: 50,
            maxDurationMs: 30_000,
            fixedWeights: { v1: 90, v2: 10 },
            behaviors: { v2: { errorRate: 0.2, latencyMs: 300 } },
            host: "127.0.0.1",
        });
        expect(opts.meshReader).to.equal(undefined);
    });
});
