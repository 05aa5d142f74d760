// HTTP: the emulator's development token endpoint and the REST API.

import { app } from "./state.js";

export async function mintToken(userId) {
  const response = await fetch("/dev/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId }),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data?.error?.message || `token: HTTP ${response.status}`);
  return data.token;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The REST API. Reads are retried (with backoff) on a network error or a 5xx. */
export async function api(method, path, body) {
  const attempts = method === "GET" ? 4 : 1;
  let response;
  for (let attempt = 1; ; attempt++) {
    try {
      response = await fetch(app.config.restUrl + path, {
        method,
        headers: {
          authorization: `Bearer ${app.token}`,
          ...(body ? { "content-type": "application/json" } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      if (response.status < 500 || attempt >= attempts) break;
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
    await sleep(500 * 2 ** attempt);
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data?.error?.message || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}
