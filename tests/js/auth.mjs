// supabase-js auth against /auth/v1, then /rest/v1 with the signed-in clients.
// Environment: FERROBASE_URL, ANON_KEY, SERVICE_KEY. Exits non-zero on the first wrong answer.
import assert from 'node:assert/strict';
import { createClient, AuthWeakPasswordError } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { ok } from './common.mjs';

const url = process.env.FERROBASE_URL;
const anon = process.env.ANON_KEY;
const client = (key = anon) =>
  createClient(url, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket },
  });

// Sign-up returns a session (no email confirmation by default).
const alice = client();
const bob = client();
const signedUp = ok(await alice.auth.signUp({ email: 'alice@example.com', password: 'alice-password', options: { data: { name: 'Alice' } } }));
assert.ok(signedUp.session.access_token);
assert.equal(signedUp.session.token_type, 'bearer');
assert.equal(signedUp.user.user_metadata.name, 'Alice');
assert.equal(signedUp.user.identities.length, 1);
ok(await bob.auth.signUp({ email: 'bob@example.com', password: 'bob-password' }));

const duplicate = await client().auth.signUp({ email: 'alice@example.com', password: 'another-password' });
assert.equal(duplicate.error.code, 'user_already_exists');
assert.equal(duplicate.error.status, 422);
const weak = await client().auth.signUp({ email: 'carol@example.com', password: '123' });
assert.ok(weak.error instanceof AuthWeakPasswordError, `${weak.error}`);
assert.deepEqual(weak.error.reasons, ['length']);

// Wrong password and unknown email: the same error.
const wrong = await client().auth.signInWithPassword({ email: 'alice@example.com', password: 'nope-nope' });
const unknown = await client().auth.signInWithPassword({ email: 'nobody@example.com', password: 'nope-nope' });
assert.equal(wrong.error.code, 'invalid_credentials');
assert.equal(wrong.error.status, 400);
assert.deepEqual([unknown.error.code, unknown.error.status, unknown.error.message], [wrong.error.code, wrong.error.status, wrong.error.message]);

const signedIn = ok(await alice.auth.signInWithPassword({ email: 'alice@example.com', password: 'alice-password' }));
assert.equal(signedIn.user.email, 'alice@example.com');
ok(await bob.auth.signInWithPassword({ email: 'bob@example.com', password: 'bob-password' }));

const { user } = ok(await alice.auth.getUser());
assert.equal(user.email, 'alice@example.com');
const updated = ok(await alice.auth.updateUser({ data: { plan: 'pro' } }));
assert.equal(updated.user.user_metadata.plan, 'pro');
assert.equal(updated.user.user_metadata.name, 'Alice');
ok(await alice.auth.updateUser({ password: 'alice-new-password' }));
const same = await alice.auth.updateUser({ password: 'alice-new-password' });
assert.equal(same.error.code, 'same_password');

// The signed-in clients carry their own tokens to /rest/v1; RLS keeps them apart.
ok(await alice.from('agents').insert({ name: "Alice's agent" }));
ok(await bob.from('agents').insert({ name: "Bob's agent" }));
assert.deepEqual(ok(await alice.from('agents').select('name')), [{ name: "Alice's agent" }]);
assert.deepEqual(ok(await bob.from('agents').select('name')), [{ name: "Bob's agent" }]);
assert.deepEqual(ok(await bob.from('agents').update({ name: 'mine now' }).eq('name', "Alice's agent").select()), []);
assert.deepEqual(ok(await bob.from('agents').delete().eq('name', "Alice's agent").select()), []);
// Nobody reads auth.users through /rest/v1.
const users = await client().schema('auth').from('users').select('*');
assert.equal(users.status, 406);

// Refresh rotates the refresh token; presenting the old one ends the session.
const before = (await alice.auth.getSession()).data.session;
const refreshed = ok(await alice.auth.refreshSession());
assert.notEqual(refreshed.session.refresh_token, before.refresh_token);
assert.deepEqual(ok(await alice.from('agents').select('name')), [{ name: "Alice's agent" }]);
const reused = await client().auth.refreshSession({ refresh_token: before.refresh_token });
assert.equal(reused.error.code, 'refresh_token_already_used');
const afterReuse = await client().auth.refreshSession({ refresh_token: refreshed.session.refresh_token });
assert.ok(afterReuse.error, 'the rotated token outlived a reuse of its predecessor');

// Admin endpoints take the service_role key, not the anon key.
const admin = client(process.env.SERVICE_KEY);
const listed = ok(await admin.auth.admin.listUsers({ page: 1, perPage: 10 }));
assert.deepEqual(listed.users.map((u) => u.email).sort(), ['alice@example.com', 'bob@example.com']);
assert.equal(listed.total, 2);
const refused = await client().auth.admin.listUsers();
assert.equal(refused.error.code, 'not_admin');
const made = ok(await admin.auth.admin.createUser({ email: 'dave@example.com', password: 'dave-password', email_confirm: true }));
const dave = client();
ok(await dave.auth.signInWithPassword({ email: 'dave@example.com', password: 'dave-password' }));
ok(await dave.from('agents').insert({ name: "Dave's agent" }));
ok(await admin.auth.admin.deleteUser(made.user.id));
const gone = await admin.auth.admin.getUserById(made.user.id);
assert.equal(gone.error.status, 404);

// Sign-out ends the session server-side; the client falls back to the anon key.
const phone = client();
const other = ok(await phone.auth.signInWithPassword({ email: 'bob@example.com', password: 'bob-password' }));
ok(await phone.auth.signOut());
const after = await client().auth.getUser(other.session.access_token);
// The server answers 403 session_not_found; auth-js reports it as a missing session.
assert.ok(after.error, 'a signed-out token still worked');
assert.equal(after.data.user, null);
assert.deepEqual(ok(await phone.from('agents').select('name')), []);

console.log('supabase-js auth: all calls behaved');
