/** "Did you mean": the closest allowed key to a mistyped one. Pure. */

/** Levenshtein distance (insert, delete, substitute), O(a*b) with one row. */
export function levenshtein(a: string, b: string): number {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const row = [i];
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
        }
        prev = row;
    }
    return prev[b.length] ?? 0;
}

/** Field names that circulate in Istio examples (the seed doc among them) but are not Istio's. */
const ISTIO_RENAMES: Readonly<Record<string, string>> = {
    circuitBreaker: "outlierDetection",
    keepAlive: "tcpKeepalive",
    consecutiveErrors: "consecutive5xxErrors",
};

/**
 * The allowed key closest to `key`, if it is close enough to be a typo: distance at most 2, or at most a
 * third of the key's length for long keys; a case-only difference always counts.
 */
export function didYouMean(key: string, allowed: readonly string[]): string | undefined {
    const renamed = Object.hasOwn(ISTIO_RENAMES, key) ? ISTIO_RENAMES[key] : undefined;
    if (renamed !== undefined && allowed.includes(renamed)) {
        return renamed;
    }
    let best: { k: string; d: number } | undefined;
    for (const k of allowed) {
        const d = k.toLowerCase() === key.toLowerCase() ? 0 : levenshtein(key, k);
        if (best === undefined || d < best.d) {
            best = { k, d };
        }
    }
    return best !== undefined && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.k : undefined;
}

// ---------------------------------------------------------------------------------------------
// Look-alike characters: a key or name that mixes in a character from another script which looks like an
// ASCII one (Cyrillic "с" in "checkout") reads right and matches nothing.

/** Characters that look like an ASCII character: code point -> [the ASCII look-alike, the Unicode name]. */
const LOOKALIKES: ReadonlyMap<number, readonly [ascii: string, name: string]> = new Map<number, readonly [string, string]>([
    ...(
        [
            [0x0430, "a", "CYRILLIC SMALL LETTER A"],
            [0x0435, "e", "CYRILLIC SMALL LETTER IE"],
            [0x043e, "o", "CYRILLIC SMALL LETTER O"],
            [0x0440, "p", "CYRILLIC SMALL LETTER ER"],
            [0x0441, "c", "CYRILLIC SMALL LETTER ES"],
            [0x0443, "y", "CYRILLIC SMALL LETTER U"],
            [0x0445, "x", "CYRILLIC SMALL LETTER HA"],
            [0x0456, "i", "CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I"],
            [0x0458, "j", "CYRILLIC SMALL LETTER JE"],
            [0x0455, "s", "CYRILLIC SMALL LETTER DZE"],
            [0x0501, "d", "CYRILLIC SMALL LETTER KOMI DE"],
            [0x04bb, "h", "CYRILLIC SMALL LETTER SHHA"],
            [0x04cf, "l", "CYRILLIC SMALL LETTER PALOCHKA"],
            [0x051b, "q", "CYRILLIC SMALL LETTER QA"],
            [0x051d, "w", "CYRILLIC SMALL LETTER WE"],
            [0x0410, "A", "CYRILLIC CAPITAL LETTER A"],
            [0x0412, "B", "CYRILLIC CAPITAL LETTER VE"],
            [0x0415, "E", "CYRILLIC CAPITAL LETTER IE"],
            [0x041a, "K", "CYRILLIC CAPITAL LETTER KA"],
            [0x041c, "M", "CYRILLIC CAPITAL LETTER EM"],
            [0x041d, "H", "CYRILLIC CAPITAL LETTER EN"],
            [0x041e, "O", "CYRILLIC CAPITAL LETTER O"],
            [0x0420, "P", "CYRILLIC CAPITAL LETTER ER"],
            [0x0421, "C", "CYRILLIC CAPITAL LETTER ES"],
            [0x0422, "T", "CYRILLIC CAPITAL LETTER TE"],
            [0x0425, "X", "CYRILLIC CAPITAL LETTER HA"],
            [0x0406, "I", "CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I"],
            [0x0408, "J", "CYRILLIC CAPITAL LETTER JE"],
            [0x0405, "S", "CYRILLIC CAPITAL LETTER DZE"],
            [0x03b1, "a", "GREEK SMALL LETTER ALPHA"],
            [0x03bf, "o", "GREEK SMALL LETTER OMICRON"],
            [0x03bd, "v", "GREEK SMALL LETTER NU"],
            [0x03b9, "i", "GREEK SMALL LETTER IOTA"],
            [0x03ba, "k", "GREEK SMALL LETTER KAPPA"],
            [0x03c1, "p", "GREEK SMALL LETTER RHO"],
            [0x03c5, "u", "GREEK SMALL LETTER UPSILON"],
            [0x0391, "A", "GREEK CAPITAL LETTER ALPHA"],
            [0x0392, "B", "GREEK CAPITAL LETTER BETA"],
            [0x0395, "E", "GREEK CAPITAL LETTER EPSILON"],
            [0x0396, "Z", "GREEK CAPITAL LETTER ZETA"],
            [0x0397, "H", "GREEK CAPITAL LETTER ETA"],
            [0x0399, "I", "GREEK CAPITAL LETTER IOTA"],
            [0x039a, "K", "GREEK CAPITAL LETTER KAPPA"],
            [0x039c, "M", "GREEK CAPITAL LETTER MU"],
            [0x039d, "N", "GREEK CAPITAL LETTER NU"],
            [0x039f, "O", "GREEK CAPITAL LETTER OMICRON"],
            [0x03a1, "P", "GREEK CAPITAL LETTER RHO"],
            [0x03a4, "T", "GREEK CAPITAL LETTER TAU"],
            [0x03a5, "Y", "GREEK CAPITAL LETTER UPSILON"],
            [0x03a7, "X", "GREEK CAPITAL LETTER CHI"],
            [0x0131, "i", "LATIN SMALL LETTER DOTLESS I"],
            [0x2010, "-", "HYPHEN"],
            [0x2011, "-", "NON-BREAKING HYPHEN"],
            [0x2012, "-", "FIGURE DASH"],
            [0x2013, "-", "EN DASH"],
            [0x2014, "-", "EM DASH"],
            [0x2212, "-", "MINUS SIGN"],
            [0x2024, ".", "ONE DOT LEADER"],
        ] as const
    ).map(([cp, ascii, name]): [number, readonly [string, string]] => [cp, [ascii, name]]),
]);

/** One look-alike character of a text. */
export interface Lookalike {
    /** The character as written. */
    char: string;
    /** `U+0441`. */
    codePoint: string;
    /** Its Unicode name, e.g. `CYRILLIC SMALL LETTER ES`. */
    name: string;
    /** The ASCII character it looks like. */
    ascii: string;
    /** Its index among the text's characters (code points). */
    index: number;
}

/** Fullwidth forms U+FF01..U+FF5E are ASCII U+0021..U+007E shifted by 0xFEE0. */
const lookalikeOf = (cp: number): readonly [string, string] | undefined => {
    if (cp >= 0xff01 && cp <= 0xff5e) {
        return [String.fromCodePoint(cp - 0xfee0), "FULLWIDTH FORM"];
    }
    return LOOKALIKES.get(cp);
};

/** The characters of `text` that look like an ASCII character but are not one. */
export function lookalikesIn(text: string): Lookalike[] {
    return [...text].flatMap((char, index) => {
        const cp = char.codePointAt(0) ?? 0;
        const hit = lookalikeOf(cp);
        return hit === undefined ? [] : [{ char, codePoint: `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`, name: hit[1], ascii: hit[0], index }];
    });
}

/** `text` with each look-alike character replaced by the ASCII one it looks like: what the writer meant. */
export const foldLookalikes = (text: string): string => [...text].map((c) => lookalikeOf(c.codePointAt(0) ?? 0)?.[0] ?? c).join("");

/**
 * A key or name that is meant to be ASCII but carries look-alike characters: ASCII letters mixed with
 * look-alikes, and nothing but ASCII once they are folded (a word written wholly in another script is not one).
 */
export function isLookalikeName(text: string): boolean {
    const folded = foldLookalikes(text);
    return folded !== text && /[A-Za-z0-9]/.test(text) && /^[\x21-\x7e]+$/.test(folded);
}

/** `"с" (U+0441 CYRILLIC SMALL LETTER ES, character 1) looks like ASCII "c"`, for each look-alike of `text`. */
export function describeLookalikes(text: string): string {
    return lookalikesIn(text)
        .map((l) => `${JSON.stringify(l.char)} (${l.codePoint} ${l.name}, character ${l.index + 1}) looks like ASCII ${JSON.stringify(l.ascii)}`)
        .join(", ");
}
