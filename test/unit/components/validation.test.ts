import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { inspect } from "node:util";
import {
    checkDuration,
    checkHosts,
    checkHttpStatus,
    checkPercentage,
    checkPort,
    checkRe2,
    checkWeight,
    checkWeightsSum,
    parseGoDuration,
} from "../../../components/validation";
import { MeshValidationError, throwIfProblems } from "../../../components/meshValidationError";

describe("validation (pure)", () => {
    describe("parseGoDuration", () => {
        const table: Array<[string, number | undefined]> = [
            ["1ms", 1e6],
            ["30s", 30e9],
            ["1m30s", 90e9],
            ["1.5h", 5400e9],
            ["250us", 250e3],
            ["0", 0],
            ["5x", undefined],
            ["1d", undefined],
            ["", undefined],
            ["10", undefined],
            ["-5s", undefined],
            ["5 s", undefined],
        ];
        for (const [input, nanos] of table) {
            it(`${JSON.stringify(input)} -> ${nanos}`, () => expect(parseGoDuration(input)).to.equal(nanos));
        }
    });

    describe("checkDuration", () => {
        it("accepts 1ms, 5s, 1m30s and undefined", () => {
            for (const d of ["1ms", "5s", "1m30s", undefined]) expect(checkDuration("timeout", d)).to.deep.equal([]);
        });
        it('rejects "5x" and "1d" as not Go durations', () => {
            expect(checkDuration("timeout", "5x")).to.deep.equal([
                {
                    propertyPath: "timeout",
                    reason: 'timeout is "5x"; it must be a Go-style duration such as "500ms", "30s" or "1m30s" (units h, m, s, ms, us, ns)',
                },
            ]);
            expect(checkDuration("faults.delay.fixedDelay", "1d")[0]?.reason).to.equal(
                'faults.delay.fixedDelay is "1d"; it must be a Go-style duration such as "500ms", "30s" or "1m30s" (units h, m, s, ms, us, ns)',
            );
        });
        it('rejects "0s" and "500us" as shorter than Istio\'s 1ms minimum', () => {
            expect(checkDuration("timeout", "0s")).to.deep.equal([
                { propertyPath: "timeout", reason: 'timeout is "0s"; it must be a duration of at least 1ms, such as "1ms" or "5s"' },
            ]);
            expect(checkDuration("timeout", "500us")).to.have.length(1);
        });
    });

    describe("numbers", () => {
        it("weight: integer 0..100", () => {
            expect(checkWeight("canary.weight", 0)).to.deep.equal([]);
            expect(checkWeight("canary.weight", 100)).to.deep.equal([]);
            expect(checkWeight("canary.weight", 120)).to.deep.equal([
                { propertyPath: "canary.weight", reason: "canary.weight is 120; it must be an integer from 0 to 100" },
            ]);
            expect(checkWeight("canary.weight", 2.5)).to.deep.equal([
                { propertyPath: "canary.weight", reason: "canary.weight is 2.5; it must be an integer from 0 to 100" },
            ]);
            expect(checkWeight("canary.weight", -1)).to.have.length(1);
            expect(checkWeight("canary.weight", Number.NaN)).to.have.length(1);
        });
        it("percentage: number 0..100, fractions allowed", () => {
            expect(checkPercentage("p", 0.5)).to.deep.equal([]);
            expect(checkPercentage("faults.delay.percentage", 120)).to.deep.equal([
                { propertyPath: "faults.delay.percentage", reason: "faults.delay.percentage is 120; it must be a number from 0 to 100" },
            ]);
        });
        it("httpStatus: integer 200..599", () => {
            expect(checkHttpStatus("s", 503)).to.deep.equal([]);
            expect(checkHttpStatus("faults.abort.httpStatus", 700)).to.deep.equal([
                { propertyPath: "faults.abort.httpStatus", reason: "faults.abort.httpStatus is 700; it must be an integer from 200 to 599" },
            ]);
            expect(checkHttpStatus("s", 199)).to.have.length(1);
        });
        it("port: integer 1..65535", () => {
            expect(checkPort("port", 8080)).to.deep.equal([]);
            expect(checkPort("port", 70000)).to.deep.equal([{ propertyPath: "port", reason: "port is 70000; it must be an integer from 1 to 65535" }]);
            expect(checkPort("port", 0)).to.have.length(1);
        });
        it("weights must sum to 100", () => {
            expect(checkWeightsSum("w", [90, 10])).to.deep.equal([]);
            expect(checkWeightsSum("uriRoutes[0].weights", [60, 30])).to.deep.equal([
                { propertyPath: "uriRoutes[0].weights", reason: "the weights of uriRoutes[0].weights are [60,30] and sum to 90; they must sum to 100" },
            ]);
        });
    });

    describe("checkRe2", () => {
        it("accepts what RE2 accepts, including the cookie-pin regex", () => {
            expect(checkRe2("r", "^(.*?;\\s*)?canary=always(;.*)?$")).to.deep.equal([]);
            expect(checkRe2("r", "v2.*")).to.deep.equal([]);
        });
        it("rejects a lookahead that JavaScript accepts", () => {
            expect(() => new RegExp("(?=x)")).not.to.throw();
            expect(checkRe2("pins[0].regex", "(?=x)")).to.deep.equal([
                {
                    propertyPath: "pins[0].regex",
                    reason: 'pins[0].regex is "(?=x)"; it must be a regular expression RE2 accepts (Istio uses RE2: no lookarounds, no backreferences); RE2 says: invalid perl operator: (?=',
                },
            ]);
        });
        it("rejects a backreference that JavaScript accepts", () => {
            expect(() => new RegExp("(a)\\1")).not.to.throw();
            expect(checkRe2("pins[0].regex", "(a)\\1")[0]?.reason).to.equal(
                'pins[0].regex is "(a)\\\\1"; it must be a regular expression RE2 accepts (Istio uses RE2: no lookarounds, no backreferences); RE2 says: invalid escape sequence: \\1',
            );
        });
    });

    describe("checkHosts", () => {
        it("rejects an empty host list", () => {
            expect(checkHosts("hosts", [], false)).to.deep.equal([
                { propertyPath: "hosts", reason: 'hosts is []; it must be a list of at least one host, such as ["sample-app"]' },
            ]);
        });
        it("rejects * in a mesh VirtualService but allows it where asked", () => {
            expect(checkHosts("hosts", ["*"], false)).to.deep.equal([
                {
                    propertyPath: "hosts[0]",
                    reason: 'hosts[0] is "*"; it must be a specific host: "*" in a mesh VirtualService captures every host in the mesh; name the service',
                },
            ]);
            expect(checkHosts("hosts", ["*"], true)).to.deep.equal([]);
        });
        it("accepts names and wildcards, rejects upper case and junk", () => {
            expect(checkHosts("hosts", ["sample-app", "api.example.com", "*.team-a.svc.cluster.local"], false)).to.deep.equal([]);
            expect(checkHosts("hosts", ["Sample_App"], false)).to.have.length(1);
            expect(checkHosts("hosts", ["a.*.com"], false)).to.have.length(1);
        });
    });

    describe("MeshValidationError", () => {
        it("is a pulumi.InputPropertiesError with code, hint and every problem", () => {
            const problems = [
                { propertyPath: "a", reason: "a is 1; it must be 2" },
                { propertyPath: "b", reason: "b is 3; it must be 4" },
            ];
            let caught: unknown;
            try {
                throwIfProblems("mesh-traffic:index:Canary", "svc", problems);
            } catch (err) {
                caught = err;
            }
            expect(caught).to.be.instanceOf(MeshValidationError);
            expect(pulumi.InputPropertiesError.isInstance(caught)).to.equal(true);
            const e = caught as MeshValidationError;
            expect(e.code).to.equal("MESH_INVALID_ARGS");
            expect(e.hint).to.contain("nothing was registered");
            expect(e.errors).to.deep.equal(problems);
            expect(e.message).to.equal('mesh-traffic:index:Canary "svc" has 2 invalid arguments:\n  - a is 1; it must be 2\n  - b is 3; it must be 4');
        });
        it("does not throw without problems", () => {
            expect(() => throwIfProblems("t", "n", [])).not.to.throw();
        });
        it("inspects (as the Node SDK's language host prints an error) as name, message and hint: no stack, no fields, no SDK promise", () => {
            const err = new MeshValidationError("mesh-traffic:index:Canary", "svc", [{ propertyPath: "canary.weight", reason: "canary.weight is 120; it must be an integer from 0 to 100" }]);
            // What the SDK does to an error that rejects an input: a `promise` property pointing back at it (debuggable.js),
            // and frames its source maps name `node_modules/@pulumi/<file>` (no package folder). On Node 20.20 a coloured
            // inspect of such a stack loops until the string overflows (nodejs/node#64011): this case would time out.
            const rejected = Promise.reject(err);
            rejected.catch(() => undefined);
            Object.assign(err, { promise: rejected });
            err.stack = `${err.stack ?? ""}\n    at applyHelperAsync (/work/project/node_modules/@pulumi/output.ts:516:31)`;
            const expected =
                'MeshValidationError: mesh-traffic:index:Canary "svc" has 1 invalid argument:\n  - canary.weight is 120; it must be an integer from 0 to 100\n' +
                "Fix the values named above (stack config or component args); nothing was registered.";
            const t0 = Date.now();
            expect(inspect(err, { colors: true })).to.equal(expected);
            expect(inspect(err)).to.equal(expected);
            expect(Date.now() - t0).to.be.below(1000);
        });
    });
});
