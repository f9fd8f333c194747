/**
 * The one redaction mechanism (contract/redact.ts): every spelling of a secret a lower layer may write (as is,
 * URL-encoded, form-encoded, JSON-escaped once or twice), a secret split between a thrown error's message and
 * its cause, a zod error, and credential-shaped text for the simulator. The former call sites (the program's
 * config errors, the CLI's lines, errors and reports, the Prometheus provider, the simulator's /stats) have
 * their own tests beside their other ones: test/unit/stacks/config.test.ts, test/unit/cli/cli.test.ts,
 * test/unit/release/rollout.test.ts, test/unit/release/prometheus.test.ts, test/unit/sim/simulator.test.ts.
 */
import { expect } from "chai";
import { z } from "zod";
import { Redactor, SECRET_MARK } from "../../../contract/redact";
import { AWKWARD_SECRET, expectNoSecret, spellingsOf } from "../../support/secrets";

describe("contract/redact: one Redactor", () => {
    const redactor = (): Redactor => new Redactor().add(AWKWARD_SECRET);

    describe("every spelling of a secret", () => {
        for (const [what, spelled] of spellingsOf(AWKWARD_SECRET)) {
            it(what, () => {
                expect(redactor().redact(`before ${spelled} after`)).to.equal(`before ${SECRET_MARK} after`);
            });
        }
    });

    it("a secret containing another is replaced whole; undefined and empty values are ignored", () => {
        const r = new Redactor().add("abc", undefined, "", "xxabcxx");
        expect(r.redact("1 xxabcxx 2 abc 3")).to.equal("1 [secret] 2 [secret] 3");
        expect(new Redactor().add("").redact("nothing to hide")).to.equal("nothing to hide");
    });

    it("redactValue redacts every string of a value and keeps it a value (a secret ending in a backslash)", () => {
        const r = new Redactor().add("ends-with\\");
        // `ends-with\\` (two backslashes) is the secret JSON-escaped: masked too.
        const value = { a: "x ends-with\\ y", list: ["ends-with\\", 3, null, true], nested: { b: "ends-with\\\\" } };
        expect(r.redactValue(value)).to.deep.equal({ a: "x [secret] y", list: ["[secret]", 3, null, true], nested: { b: "[secret]" } });
        expect(value.a, "the input is not changed").to.equal("x ends-with\\ y");
    });

    describe("describeError: a thrown error with its causes, redacted as one text", () => {
        it("a secret split between the message and its cause is masked on both sides", () => {
            const half = 7;
            const err = new Error(`login failed for ${AWKWARD_SECRET.slice(0, half)}`, { cause: new Error(`${AWKWARD_SECRET.slice(half)} was refused`) });
            const text = redactor().describeError(err);
            expect(text).to.equal("login failed for [secret]; cause: [secret] was refused");
            expectNoSecret(text);
        });

        it("the cause chain and an AggregateError's errors are all shown, each redacted", () => {
            const err = new AggregateError([new Error(`a ${AWKWARD_SECRET}`), "plain text"], "two failed", { cause: new TypeError(encodeURIComponent(AWKWARD_SECRET)) });
            expect(redactor().describeError(err, { name: true })).to.equal("AggregateError: two failed; error: a [secret]; error: plain text; cause: [secret]");
        });

        it("a cycle of causes ends", () => {
            const a = new Error("a");
            const b = new Error("b", { cause: a });
            (a as Error & { cause?: unknown }).cause = b;
            expect(new Redactor().describeError(a)).to.equal("a; cause: b");
        });

        it("a zod error: its message is JSON of the issues (the value escaped once in `input`, twice inside a quoting message)", () => {
            const schema = z.object({ token: z.string().superRefine((v, ctx) => ctx.addIssue({ code: "custom", message: `token ${JSON.stringify(v)} is not accepted` })) });
            const result = schema.safeParse({ token: AWKWARD_SECRET }, { reportInput: true });
            expect(result.success).to.equal(false);
            const err = result.error as z.ZodError;
            expect(err.message, "the unredacted message holds the secret (the test would prove nothing otherwise)").to.include(JSON.stringify(AWKWARD_SECRET).slice(1, -1));
            const text = redactor().describeError(err);
            expectNoSecret(text);
            expect(text).to.include('"input": "[secret]"');
        });
    });

    it("credential-shaped text is masked only when asked (the simulator's poll errors, whose secrets are not known)", () => {
        const text = "401 Unauthorized: Authorization: Bearer abc.def-SECRET token=s3cr3t, password: hunter2, basic dXNlcjpwYXNz";
        expect(new Redactor({ credentialShapes: true }).redact(text)).to.equal(
            "401 Unauthorized: Authorization: Bearer [secret] token=[secret], password: [secret], basic [secret]",
        );
        expect(new Redactor().redact(text), "off by default: a config message names `password` keys").to.equal(text);
    });
});
