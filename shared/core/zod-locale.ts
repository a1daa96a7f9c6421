/**
 * English issue messages for every schema. zod/mini, which the schemas are built with (it loads
 * and builds in about half the time of the classic API, docs/performance.md), ships no locale:
 * without this every message would read "Invalid input". Each module that builds schemas imports
 * this one first, so the messages are the same wherever a schema parses: functions, CLI and tests.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());
