/**
 * linkedSignal (release/core/clock.ts): one per update, so the Automation API's leaked abort listeners never
 * pile up on the run's signal (the MaxListenersExceededWarning of every 5-step run).
 */
import { expect } from "chai";
import { getEventListeners } from "node:events";
import { linkedSignal } from "../../../release/core/clock";

describe("linkedSignal (release/core/clock.ts)", () => {
    it("twenty updates leave no listener on the outer signal, even when the callee leaks its own", () => {
        const outer = new AbortController();
        for (let i = 0; i < 20; i++) {
            const linked = linkedSignal(outer.signal);
            linked.signal?.addEventListener("abort", () => undefined); // what the Automation API does per command
            linked.dispose();
        }
        expect(getEventListeners(outer.signal, "abort")).to.have.length(0);
    });

    it("follows the outer signal: aborted with it, or at once when it already is", () => {
        const outer = new AbortController();
        const linked = linkedSignal(outer.signal);
        outer.abort("SIGINT");
        expect(linked.signal?.aborted).to.equal(true);
        expect(linked.signal?.reason).to.equal("SIGINT");
        expect(linkedSignal(outer.signal).signal?.aborted).to.equal(true);
        expect(linkedSignal(undefined).signal).to.equal(undefined);
    });
});
