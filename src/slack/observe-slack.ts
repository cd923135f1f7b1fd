/**
 * Slack Web API failures, counted once per app at the one seam every call of every Web API client passes:
 * the `fetch` the SDK sends with (`clientOptions.fetch`). Bolt builds clients of its own (a listener's
 * `client`) from those same options, and the SDK binds its methods to `apiCall` when a client is built, so
 * no other per-app place sees them all; a module-level hook would mix up the counts of two apps in one
 * process.
 *
 * Each failed attempt is handed to `toSlackApiError` (src/slack/slack-api.ts) in the shape the SDK will
 * throw for it, so it is classified by the same table as the error the caller then gets.
 */
import { webApi } from '@slack/bolt';
import { SlackApiError } from '../errors.js';
import { toSlackApiError } from './slack-api.js';

type FetchFunction = NonNullable<webApi.WebClientOptions['fetch']>;

/**
 * A Web API method (`chat.postMessage`, `auth.test`): always a family, a dot and a name. Bolt sends its own
 * `respond` to a response_url through this fetch too; such a URL is passed through, never a label.
 */
const WEB_API_METHOD = /^[a-z]+(\.[a-zA-Z]+)+$/;

/** A Slack answer that says `ok: false` starts so; only those are parsed a second time. */
const NOT_OK = /^\s*\{\s*"ok"\s*:\s*false\b/;

/** A `fetch` for the Web API clients that reports each failed attempt (HTTP 200 `ok: false`, 429, 5xx, none). */
export function observeSlackApi(
  onError: (error: SlackApiError) => void,
  fetchFn: FetchFunction = globalThis.fetch as unknown as FetchFunction,
): FetchFunction {
  return async (url, init) => {
    const method = methodOf(url);
    if (!WEB_API_METHOD.test(method)) return fetchFn(url, init);
    const report = (sdkError: Record<string, unknown>) => {
      const classified = toSlackApiError(method, sdkError);
      if (classified instanceof SlackApiError) onError(classified);
    };
    let response: Awaited<ReturnType<FetchFunction>>;
    try {
      response = await fetchFn(url, init);
    } catch (error) {
      report({ code: webApi.ErrorCode.RequestError });
      throw error;
    }
    if (response.status === 429) {
      report({ code: webApi.ErrorCode.RateLimitedError });
      return response;
    }
    if (response.status !== 200) {
      report({ code: webApi.ErrorCode.HTTPError, statusCode: response.status });
      return response;
    }
    const answered = response;
    // The SDK reads a Web API answer with text(): look at it on its way, without reading it twice.
    return {
      ok: answered.ok,
      status: answered.status,
      statusText: answered.statusText,
      url: answered.url,
      headers: answered.headers,
      arrayBuffer: () => answered.arrayBuffer(),
      json: () => answered.json(),
      async text() {
        const text = await answered.text();
        if (NOT_OK.test(text.slice(0, 40))) report({ code: webApi.ErrorCode.PlatformError, data: platformData(text) });
        return text;
      },
    };
  };
}

/** `https://slack.com/api/chat.postMessage` → `chat.postMessage`. */
function methodOf(url: string | URL): string {
  const path = (typeof url === 'string' ? URL.parse(url)?.pathname : url.pathname) ?? '';
  return path.slice(path.lastIndexOf('/') + 1);
}

function platformData(text: string): { error?: unknown } {
  try {
    return JSON.parse(text) as { error?: unknown };
  } catch {
    return {};
  }
}
