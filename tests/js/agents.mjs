// The seed's supabase-js calls against the generated server, as two users.
// Environment: FERROBASE_URL, ANON_KEY, ALICE_TOKEN, ALICE_ID, BOB_TOKEN, BOB_ID.
// Exits non-zero with a message on the first wrong answer.
import assert from 'node:assert/strict';
import { client, env, ok } from './common.mjs';

const alice = client(env('ALICE_TOKEN'));
const bob = client(env('BOB_TOKEN'));

// Create, as in the seed: no user_id is sent; insert().select().single().
const created = ok(
  await alice
    .from('agents')
    .insert({
      name: 'Data Analyst',
      role: 'Analyst',
      framework: 'openai',
      model: 'gpt-4o',
      system_prompt: 'You are a data analyst expert.',
      settings: { temperature: 0.5, max_tokens: 4096, presence_penalty: 0.1, frequency_penalty: 0.1 },
    })
    .select()
    .single(),
);
assert.equal(created.user_id, env('ALICE_ID'));
assert.equal(created.status, 'idle');
assert.deepEqual(created.settings, { temperature: 0.5, max_tokens: 4096, presence_penalty: 0.1, frequency_penalty: 0.1 });

for (const [name, framework] of [['Research Assistant', 'openai'], ['Code Reviewer', 'anthropic']]) {
  ok(await alice.from('agents').insert({ name, framework }).select().single());
}
ok(await bob.from('agents').insert({ name: "Bob's Assistant", framework: 'google' }).select().single());

// List ordered by created_at, newest first.
const list = ok(await alice.from('agents').select('*').order('created_at', { ascending: false }));
assert.deepEqual(list.map((a) => a.name), ['Code Reviewer', 'Research Assistant', 'Data Analyst']);

// Filter by framework, search by name, paginate.
const openai = ok(await alice.from('agents').select('name').eq('framework', 'openai').order('name'));
assert.deepEqual(openai, [{ name: 'Data Analyst' }, { name: 'Research Assistant' }]);
const search = ok(await alice.from('agents').select('name').ilike('name', '%assistant%'));
assert.deepEqual(search, [{ name: 'Research Assistant' }]);
const page = ok(await alice.from('agents').select('name').order('name').range(0, 1));
assert.deepEqual(page, [{ name: 'Code Reviewer' }, { name: 'Data Analyst' }]);
const counted = await alice.from('agents').select('*', { count: 'exact', head: true });
assert.equal(counted.error, null);
assert.equal(counted.count, 3);

// Partial update, then read back with maybeSingle.
ok(await alice.from('agents').update({ model: 'gpt-4-turbo' }).eq('id', created.id));
const updated = ok(await alice.from('agents').select('model, name').eq('id', created.id).maybeSingle());
assert.deepEqual(updated, { model: 'gpt-4-turbo', name: 'Data Analyst' });

// Bob sees only his own agent, cannot read Alice's, and cannot change it.
const bobs = ok(await bob.from('agents').select('name'));
assert.deepEqual(bobs, [{ name: "Bob's Assistant" }]);
const hidden = ok(await bob.from('agents').select('*').eq('id', created.id).maybeSingle());
assert.equal(hidden, null);
const hijack = ok(await bob.from('agents').update({ name: 'hijacked' }).eq('id', created.id).select());
assert.deepEqual(hijack, []);
const forged = await bob.from('agents').insert({ name: 'forged', user_id: env('ALICE_ID') });
assert.equal(forged.status, 403);
assert.equal(forged.error.code, '42501');

// Validation errors name the fields.
const invalid = await alice.from('agents').insert({ name: '', framework: 'cohere' }).select().single();
assert.equal(invalid.status, 400);
assert.equal(invalid.error.code, 'VALIDATION_ERROR');
assert.deepEqual(Object.keys(invalid.error.details).sort(), ['framework', 'name']);

// Delete, then maybeSingle on the missing id gives null without an error.
const del = await alice.from('agents').delete().eq('id', created.id);
assert.equal(del.error, null);
assert.equal(del.status, 204);
const gone = ok(await alice.from('agents').select('*').eq('id', created.id).maybeSingle());
assert.equal(gone, null);
// single() on a missing id is an error with PostgREST's code.
const missing = await alice.from('agents').select('*').eq('id', created.id).single();
assert.equal(missing.error.code, 'PGRST116');

console.log('supabase-js: all seed calls behaved');
