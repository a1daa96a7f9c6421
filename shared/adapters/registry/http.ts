/**
 * One HTTP exchange with a registry: Node's fetch with a per-request timeout and a streamed body
 * cap, so a slow or huge answer can neither hang a function nor exhaust its memory.
 */

interface HttpRequest {
  /** POST, PUT and PATCH: blob uploads and manifest PUTs (`streamgate fix`), and `streamgate submit`. */
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH';
  url: string;
  headers?: Record<string, string>;
  /** Sent as is (POST, PUT, PATCH). */
  body?: Uint8Array<ArrayBuffer>;
  /** Abort the whole exchange (headers and body) after this many milliseconds. */
  timeoutMs: number;
  /** Read at most this many body bytes; a longer body throws `BodyTooLargeError`. */
  maxBodyBytes: number;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** The body went past `maxBodyBytes`; the download was aborted. */
export class BodyTooLargeError extends Error {
  constructor(
    readonly url: string,
    readonly limit: number,
  ) {
    super(`response body from ${url} is larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** The exchange took longer than `timeoutMs`. */
export class HttpTimeoutError extends Error {
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(`no complete answer from ${url} within ${timeoutMs} ms`, options);
    this.name = 'HttpTimeoutError';
  }
}

/** The function that performs requests; tests and callers may wrap it (e.g. to count requests). */
export type HttpFetch = (request: HttpRequest) => Promise<HttpResponse>;

/**
 * Performs one request with Node's fetch. Redirects are followed (registries send blobs to storage).
 *
 * @example
 *   const res = await fetchWithLimits({ method: 'GET', url, timeoutMs: 5000, maxBodyBytes: 4 << 20 });
 */
export const fetchWithLimits: HttpFetch = async (request) => {
  const { controller, stop, failure } = deadline(request.url, request.timeoutMs);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'follow',
      signal: controller.signal,
    });
    const body =
      request.method === 'HEAD' ? Buffer.alloc(0) : await readCapped(response, request, controller);
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw error;
    throw failure(error);
  } finally {
    stop();
  }
};

/**
 * An abort controller that fires an HttpTimeoutError after `timeoutMs`, and `failure`, which turns
 * the error of an aborted fetch back into that timeout.
 */
function deadline(url: string, timeoutMs: number) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new HttpTimeoutError(url, timeoutMs)), timeoutMs);
  const failure = (error: unknown): unknown =>
    controller.signal.aborted && controller.signal.reason instanceof HttpTimeoutError
      ? controller.signal.reason
      : error;
  return { controller, stop: () => clearTimeout(timer), failure };
}

async function readCapped(
  response: Response,
  request: HttpRequest,
  controller: AbortController,
): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > request.maxBodyBytes) {
    controller.abort();
    throw new BodyTooLargeError(request.url, request.maxBodyBytes);
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > request.maxBodyBytes) {
      controller.abort();
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError(request.url, request.maxBodyBytes);
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return Buffer.concat(chunks, total);
}

/** A streamed answer: the body is read by the caller, who must call `done()` when finished. */
export interface StreamedResponse {
  status: number;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
  /** Stops the timer (and aborts the exchange if the body is still open). */
  done(): void;
}

/**
 * A GET whose body is not buffered (layer blobs): the timeout covers headers and the whole body,
 * so a stalled download cannot outlive it.
 *
 * @example
 *   const res = await fetchStream({ url, headers, timeoutMs: 300_000 });
 *   try { for await (const chunk of res.body!) … } finally { res.done(); }
 */
export async function fetchStream(request: {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
}): Promise<StreamedResponse> {
  const { controller, stop, failure } = deadline(request.url, request.timeoutMs);
  try {
    const response = await fetch(request.url, {
      headers: request.headers,
      redirect: 'follow',
      signal: controller.signal,
    });
    return {
      status: response.status,
      headers: response.headers,
      body: response.body,
      done: () => {
        stop();
        controller.abort();
      },
    };
  } catch (error) {
    stop();
    throw failure(error);
  }
}
