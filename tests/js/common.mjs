// What the supabase-js scripts share: reading the environment, making a client that
// carries a token, and unwrapping an answer that must not be an error.
import assert from 'node:assert/strict';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';

export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`missing ${name}`);
  return v;
};

// A client of the server at FERROBASE_URL under the anon key, sending `token` as its
// bearer. Node 20 has no global WebSocket; the client refuses to start without a transport.
export const client = (token) =>
  createClient(env('FERROBASE_URL'), env('ANON_KEY'), {
    global: { headers: { Authorization: `Bearer ${token}` } },
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket },
  });

export const ok = ({ data, error }) => {
  assert.equal(error, null, `unexpected error: ${JSON.stringify(error)}`);
  return data;
};
