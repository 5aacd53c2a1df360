// PostgREST features driven through supabase-js (its postgrest-js query builder):
// embedding, views, logic trees, full-text, containment, counts and ranges, upserts, RPC,
// CSV and errors. Environment: FERROBASE_URL, ANON_KEY, SERVICE_KEY, USER_TOKEN, USER_ID.
import assert from 'node:assert/strict';
import { client, env, ok } from './common.mjs';

const user = client(env('USER_TOKEN'));
const admin = client(env('SERVICE_KEY'));

// Upsert the tool catalogue (service_role), twice: the second run merges.
ok(await admin.from('tools').upsert([{ name: 'search', category: 'web' }, { name: 'weather', category: 'data' }], { onConflict: 'name' }));
const tools = ok(
  await admin.from('tools').upsert([{ name: 'search', category: 'internet' }], { onConflict: 'name' }).select('id, name, category'),
);
assert.deepEqual(tools.map((t) => [t.name, t.category]), [['search', 'internet']]);
const ignored = ok(
  await admin.from('tools').upsert({ name: 'weather', category: 'x' }, { onConflict: 'name', ignoreDuplicates: true }).select(),
);
assert.deepEqual(ignored, []);
const all = ok(await admin.from('tools').select('id, name').order('name'));

// Agents with assignments.
const agents = ok(
  await user
    .from('agents')
    .insert([
      { name: 'Refund helper', system_prompt: 'Handles refund requests for customers', settings: { temperature: 0.2 } },
      { name: 'Poet', framework: 'anthropic', system_prompt: 'Writes poems', settings: { temperature: 1.2 } },
    ], { defaultToNull: false })
    .select('id, name'),
);
ok(await user.from('agent_tools').insert(all.map((t) => ({ agent_id: agents[0].id, tool_id: t.id }))));

// Embedding, as in the seed's "agent with related data", with an embedded filter and order.
const withTools = ok(
  await user
    .from('agents')
    .select('name, agent_tools(enabled, tool:tools(name, category))')
    .eq('id', agents[0].id)
    .order('enabled', { referencedTable: 'agent_tools', ascending: false })
    .single(),
);
assert.equal(withTools.name, 'Refund helper');
assert.deepEqual(withTools.agent_tools.map((a) => a.tool.name).sort(), ['search', 'weather']);
const inner = ok(await user.from('agents').select('name, tools!inner(name)').eq('tools.name', 'weather'));
assert.deepEqual(inner, [{ name: 'Refund helper', tools: [{ name: 'weather' }] }]);

// A view of the spec reads like a table and embeds through its declared relationship.
const overview = ok(
  await user.from('agent_overview').select('name, tools, agents(framework)').gt('tools', 0),
);
assert.deepEqual(overview, [{ name: 'Refund helper', tools: 2, agents: { framework: 'openai' } }]);
const notWritable = await user.from('agent_overview').insert({ name: 'x' });
assert.equal(notWritable.status, 405);

// or(), not(), in, is, textSearch, contains, JSON paths.
assert.deepEqual(ok(await user.from('agents').select('name').or('framework.eq.anthropic,name.ilike.*refund*').order('name')).map((a) => a.name), ['Poet', 'Refund helper']);
assert.deepEqual(ok(await user.from('agents').select('name').not('framework', 'in', '(anthropic)')), [{ name: 'Refund helper' }]);
assert.deepEqual(ok(await user.from('agents').select('name').is('model', null).in('name', ['Poet'])), [{ name: 'Poet' }]);
assert.deepEqual(ok(await user.from('agents').select('name').textSearch('system_prompt', 'refunds', { type: 'websearch', config: 'english' })), [{ name: 'Refund helper' }]);
assert.deepEqual(ok(await user.from('agents').select('name').contains('settings', { temperature: 1.2 })), [{ name: 'Poet' }]);
assert.deepEqual(ok(await user.from('agents').select('name, temp:settings->temperature').gt('settings->temperature', 1)), [{ name: 'Poet', temp: 1.2 }]);

// Counts and ranges.
const counted = await user.from('agents').select('name', { count: 'exact' }).order('name').range(0, 0);
assert.equal(counted.error, null);
assert.equal(counted.count, 2);
assert.equal(counted.status, 206);
assert.deepEqual(counted.data, [{ name: 'Poet' }]);
const past = await user.from('agents').select('name', { count: 'exact' }).range(5, 9);
assert.equal(past.status, 416);
assert.equal(past.error.code, 'PGRST103');

// Aggregates.
assert.deepEqual(ok(await user.from('agents').select('framework, count()').order('framework')), [
  { framework: 'anthropic', count: 1 },
  { framework: 'openai', count: 1 },
]);

// RPC: scalar, set-returning with filters, row-returning.
assert.equal(ok(await user.rpc('agent_count', { framework: 'openai' })), 1);
assert.deepEqual(ok(await user.rpc('search_agents', { query: 'poems' }).select('name')), [{ name: 'Poet' }]);
assert.deepEqual(ok(await user.rpc('search_agents', { query: 'poems OR refund' }, { get: true }).select('name').eq('framework', 'openai')), [{ name: 'Refund helper' }]);
const status = ok(await user.rpc('set_agent_status', { agent_id: agents[1].id, status: 'thinking' }).select('name, status').single());
assert.deepEqual(status, { name: 'Poet', status: 'thinking' });
const missing = await user.rpc('no_such_function');
assert.equal(missing.error.code, 'PGRST202');

// CSV out.
const csv = ok(await user.from('agents').select('name, framework').order('name').csv());
assert.equal(csv, 'name,framework\nPoet,anthropic\nRefund helper,openai\n');

// Errors keep PostgREST's codes.
const unknown = await user.from('agentz').select();
assert.equal(unknown.status, 404);
assert.equal(unknown.error.code, 'PGRST205');
const badColumn = await user.from('agents').select('nme');
assert.equal(badColumn.error.code, '42703');
assert.match(badColumn.error.hint, /agents\.name/);
const ambiguous = await user.from('agents').select('name, nope(id)');
assert.equal(ambiguous.error.code, 'PGRST200');

// Delete with a filter, returning what was removed.
const removed = ok(await user.from('agents').delete().eq('name', 'Poet').select('name'));
assert.deepEqual(removed, [{ name: 'Poet' }]);

console.log('supabase-js: PostgREST features behaved');
