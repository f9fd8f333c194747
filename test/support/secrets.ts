/**
 * Test support: a secret that every lower layer escapes or encodes differently, its spellings, and the check
 * that none of them (nor either half of it) reached a text. Used by the redaction tests of each call site.
 */
import { expect } from "chai";

/** A secret with every character a lower layer escapes or encodes: quote, backslash, slash, plus, space, @, %. */
export const AWKWARD_SECRET = 'p@ss "w/rd"\\+ 1%';

/** Every way the secret may have been written, as [what, text]. */
export function spellingsOf(secret: string): Array<[string, string]> {
    return [
        ["as is", secret],
        ["encodeURIComponent", encodeURIComponent(secret)],
        ["encodeURI", encodeURI(secret)],
        ["form-encoded (a query string)", new URLSearchParams({ q: secret }).toString().slice(2)],
        ["JSON-escaped", JSON.stringify(secret).slice(1, -1)],
        ["JSON-escaped twice", JSON.stringify(JSON.stringify(secret)).slice(3, -3)],
    ];
}

/** The secret, and the pieces of it long enough to matter, appear nowhere in `text`. */
export function expectNoSecret(text: string, secret: string = AWKWARD_SECRET): void {
    for (const [what, spelled] of spellingsOf(secret)) {
        expect(text, what).not.to.include(spelled);
    }
    // Neither half of it either (a secret cut in two is still a leak).
    const half = Math.floor(secret.length / 2);
    expect(text, "first half").not.to.include(secret.slice(0, half));
    expect(text, "second half").not.to.include(secret.slice(half));
}
