// Drives openapi-fetch with the types openapi-typescript generates from the SDK OpenAPI
// document: a typed endpoint as a signed-in user and a table read/write with the service
// key. It must type-check with tsc before it runs.
// Environment: FERROBASE_URL, ANON_KEY, SERVICE_KEY, USER_TOKEN.
import assert from "node:assert/strict";
import createClient from "openapi-fetch";
import type { paths } from "./generated/api.js";

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`missing ${name}`);
  return v;
};
const client = (token: string) =>
  createClient<paths>({
    baseUrl: env("FERROBASE_URL"),
    headers: { apikey: env("ANON_KEY"), Authorization: `Bearer ${token}` },
  });
const user = client(env("USER_TOKEN"));
const service = client(env("SERVICE_KEY"));

const created = await user.POST("/api/example/agents", { body: { name: "From TypeScript", framework: "anthropic" } });
assert.equal(created.response.status, 201);
assert.equal(created.data?.name, "From TypeScript");
const id: string = created.data!.id;
const fetched = await user.GET("/api/example/agents/{id}", { params: { path: { id } } });
assert.equal(fetched.data?.framework, "anthropic");
const missing = await user.GET("/api/example/agents/{id}", { params: { path: { id: "00000000-0000-0000-0000-000000000000" } } });
assert.equal(missing.response.status, 404);
assert.equal(missing.error?.error, "Agent not found");

const inserted = await service.POST("/rest/v1/tools", {
  body: { name: "ts_tool", category: "sdk" },
  params: { header: { Prefer: "return=representation" } },
});
assert.equal(inserted.response.status, 201);
const read = await service.GET("/rest/v1/tools", { params: { query: { name: "eq.ts_tool", select: "name,category" } } });
assert.deepEqual(read.data, [{ name: "ts_tool", category: "sdk" }]);

console.log("typescript sdk: typed endpoint and table calls behaved");
