/**
 * Issue 17's stale-connection scenario as a reusable driver: bursts of
 * requests (half GET, half POST, each to its own path) through a proxy,
 * separated by idle gaps around the upstream's keep-alive timeout. Each
 * gap starts when the last response of the burst before has been read.
 * Counts 502s per method and any other failure; the caller counts the
 * POSTs the upstream saw twice (each path is sent once).
 *
 * @module
 */

/** What one run of bursts through one proxy gave. */
export interface StaleCounts {
  /** Requests sent by the client. */
  requests: number;
  /** GETs answered 502 (or 504). */
  get502: number;
  /** POSTs answered 502 (or 504). */
  post502: number;
  /** Requests that failed otherwise (another status, or the client's own connection failed). */
  otherFailures: number;
  /** Each POST's path, to match against what the upstream saw. */
  postPaths: string[];
}

/**
 * `count` gaps spread evenly over [fromMs, toMs], in a fixed shuffled
 * order (the same every run), so the gaps around the timeout are not all
 * at the end.
 */
export function spreadGaps(fromMs: number, toMs: number, count: number): number[] {
  const gaps = Array.from(
    { length: count },
    (_, i) => Math.round(fromMs + (count === 1 ? 0 : (i * (toMs - fromMs)) / (count - 1))),
  );
  let seed = 17;
  for (let i = gaps.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = seed % (i + 1);
    [gaps[i], gaps[j]] = [gaps[j], gaps[i]];
  }
  return gaps;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends a burst of `burst` requests at once, then for each gap waits it
 * out and sends another burst. `tag` makes every path unique across runs.
 */
export async function runBursts(
  proxyUrl: string,
  gaps: readonly number[],
  burst: number,
  tag: string,
): Promise<StaleCounts> {
  const counts: StaleCounts = {
    requests: 0,
    get502: 0,
    post502: 0,
    otherFailures: 0,
    postPaths: [],
  };
  const base = proxyUrl.endsWith("/") ? proxyUrl : `${proxyUrl}/`;
  let id = 0;
  for (const gap of [0, ...gaps]) {
    if (gap > 0) await sleep(gap);
    await Promise.all(Array.from({ length: burst }, async (_, i) => {
      const method = i % 2 === 0 ? "GET" : "POST";
      const path = `${tag}-${method.toLowerCase()}-${id++}`;
      if (method === "POST") counts.postPaths.push(`/${path}`);
      counts.requests++;
      try {
        const response = await fetch(base + path, {
          method,
          ...(method === "POST" ? { body: "x".repeat(100) } : {}),
        });
        await response.arrayBuffer();
        if (response.status === 502 || response.status === 504) {
          if (method === "GET") counts.get502++;
          else counts.post502++;
        } else if (response.status !== 200) {
          counts.otherFailures++;
        }
      } catch {
        counts.otherFailures++;
      }
    }));
  }
  return counts;
}
