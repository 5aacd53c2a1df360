// Hybrid search over the `ai` schema through supabase-js: rows written with
// `.schema('ai')` as service_role, the generated tsvector searched with `textSearch`, and
// `rpc('hybrid_search')` called as a signed-in user.
// Environment: FERROBASE_URL, ANON_KEY, SERVICE_KEY, USER_TOKEN.
import assert from 'node:assert/strict';
import { client, env, ok } from './common.mjs';

const admin = client(env('SERVICE_KEY')).schema('ai');
const user = client(env('USER_TOKEN')).schema('ai');
const DIMENSIONS = 1536;
const axis = (i, weight = 1) => {
  const v = new Array(DIMENSIONS).fill(0);
  v[i] = weight;
  return v;
};

const kb = ok(await admin.from('knowledge_bases').insert({ name: 'Handbook' }).select('id').single()).id;
const source = ok(await admin.from('sources').insert({ name: 'handbook.md' }).select('id').single()).id;
const indexed = ok(
  await admin.from('indexed_sources').insert({ knowledge_base_id: kb, source_id: source }).select('id').single(),
).id;
const texts = ['Expenses are reimbursed monthly.', 'Holidays must be requested two weeks ahead.', 'Laptops are replaced every three years.'];
const chunks = ok(
  await admin
    .from('chunks')
    .insert(texts.map((content, i) => ({ knowledge_base_id: kb, indexed_source_id: indexed, chunk_index: i, content })))
    .select('id, chunk_index, fts')
    .order('chunk_index'),
);
assert.equal(chunks.length, 3);
assert.match(chunks[0].fts, /'reimburs'/);
ok(
  await admin.from('embeddings').insert(
    chunks.map((c, i) => ({ chunk_id: c.id, knowledge_base_id: kb, model: 'text-embedding-3-small', dimensions: DIMENSIONS, embedding: axis(i) })),
  ),
);

// Keyword search on the generated column, with stemming.
const found = ok(await user.from('chunks').select('id').textSearch('fts', 'holiday', { type: 'websearch', config: 'english' }));
assert.deepEqual(found.map((r) => r.id), [chunks[1].id]);

// The search document is the database's to write.
const refused = await admin.from('chunks').update({ fts: "'x':1" }).eq('id', chunks[0].id);
assert.equal(refused.status, 400);
assert.equal(refused.error.code, 'VALIDATION_ERROR');

// Meaning and words together: near laptops, then expenses; words about laptops.
const query = axis(2);
query[0] = 0.5;
const hits = ok(
  await user.rpc('hybrid_search', { knowledge_base_id: kb, query_text: 'laptop', query_embedding: query, match_count: 2 }),
);
assert.deepEqual(hits.map((h) => h.id), [chunks[2].id, chunks[0].id]);

// The RPC result filters like a table.
const filtered = ok(
  await user
    .rpc('hybrid_search', { knowledge_base_id: kb, query_text: null, query_embedding: axis(1) })
    .select('chunk_index')
    .gte('chunk_index', 1),
);
assert.deepEqual(filtered.map((h) => h.chunk_index), [1, 2]);

console.log('supabase-js: hybrid search behaved');
