/**
 * PostgreSQL for tests: the server tests run against (MERIDIAN_TEST_POSTGRES_URL, else the local
 * one CI starts) and throwaway schemas on it. `freshSchema()` names a new schema; `dropSchemas()`
 * (call it in `afterAll`) drops every schema named so far through a separate connection, so a
 * test file leaves nothing behind on the shared server.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_POSTGRES_URL =
  process.env.MERIDIAN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const schemas: string[] = [];

export function freshSchema(): string {
  const schema = `meridian_test_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  return schema;
}

export async function dropSchemas(): Promise<void> {
  if (schemas.length === 0) return;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  try {
    await admin.connect();
    for (const schema of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.end().catch(() => {});
  }
}
