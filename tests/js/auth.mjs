// supabase-js auth against /auth/v1, then /rest/v1 with the signed-in clients.
// Environment: FERROBASE_URL, ANON_KEY. Exits non-zero on the first wrong answer.
import assert from 'node:assert/strict';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';

const url = process.env.FERROBASE_URL;
const anon = process.env.ANON_KEY;
const client = () =>
  createClient(url, anon, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket },
  });
const ok = ({ data, error }) => {
  assert.equal(error, null, `unexpected error: ${JSON.stringify(error)}`);
  return data;
};

const alice = client();
const bob = client();
const signedUp = ok(await alice.auth.signUp({ email: 'alice@example.com', password: 'alice-password', options: { data: { name: 'Alice' } } }));
assert.ok(signedUp.session.access_token);
assert.equal(signedUp.user.user_metadata.name, 'Alice');
ok(await bob.auth.signUp({ email: 'bob@example.com', password: 'bob-password' }));

const duplicate = await client().auth.signUp({ email: 'alice@example.com', password: 'another-password' });
assert.equal(duplicate.error.code, 'email_exists');
assert.equal(duplicate.error.status, 422);

const wrong = await client().auth.signInWithPassword({ email: 'alice@example.com', password: 'nope-nope' });
assert.equal(wrong.error.code, 'invalid_credentials');
const signedIn = ok(await alice.auth.signInWithPassword({ email: 'alice@example.com', password: 'alice-password' }));
assert.equal(signedIn.user.email, 'alice@example.com');
ok(await bob.auth.signInWithPassword({ email: 'bob@example.com', password: 'bob-password' }));

const { user } = ok(await alice.auth.getUser());
assert.equal(user.email, 'alice@example.com');
const updated = ok(await alice.auth.updateUser({ data: { plan: 'pro' } }));
assert.equal(updated.user.user_metadata.plan, 'pro');

// The signed-in clients carry their own tokens to /rest/v1; RLS keeps them apart.
ok(await alice.from('agents').insert({ name: "Alice's agent" }));
ok(await bob.from('agents').insert({ name: "Bob's agent" }));
assert.deepEqual(ok(await alice.from('agents').select('name')), [{ name: "Alice's agent" }]);
assert.deepEqual(ok(await bob.from('agents').select('name')), [{ name: "Bob's agent" }]);

// Refresh rotates the refresh token; the old one is then refused.
const before = (await alice.auth.getSession()).data.session;
const refreshed = ok(await alice.auth.refreshSession());
assert.notEqual(refreshed.session.refresh_token, before.refresh_token);
const reused = await client().auth.refreshSession({ refresh_token: before.refresh_token });
assert.equal(reused.error.code, 'refresh_token_already_used');

// Sign-out ends the session server-side.
const second = client();
const other = ok(await second.auth.signInWithPassword({ email: 'bob@example.com', password: 'bob-password' }));
ok(await second.auth.signOut());
const after = await client().auth.getUser(other.session.access_token);
// The server answers 403 session_not_found; auth-js reports it as a missing session.
assert.ok(after.error, 'a signed-out token still worked');
assert.equal(after.data.user, null);

console.log('supabase-js auth: all calls behaved');
