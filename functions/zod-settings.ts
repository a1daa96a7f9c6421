/**
 * zod's settings for the deployed functions. Imported (through `afterZodSettings` in warm-up.ts)
 * before any module that builds schemas, because zod reads them as each schema is built.
 *
 * `jitless`: by default zod compiles a parser of its own for each object schema (`new Function`)
 * on that schema's first parse. A function parses each schema a few times per event, so on a cold
 * start that compile is paid on the first event (about 10 ms of it, measured in
 * docs/performance.md) to save about 1 µs per later parse. Without it nothing is evaluated from
 * generated source, either.
 */
import * as z from 'zod';

z.config({ jitless: true });
