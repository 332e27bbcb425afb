/**
 * Generates the OpenAPI 3.1 document from the route table. Schemas are JSON
 * Schema 2020-12 (OpenAPI 3.1's dialect), taken from the TypeBox definitions:
 * every sub-schema carrying an `$id` becomes `components.schemas.<$id>` and is
 * referenced as `#/components/schemas/<$id>` wherever it appears (the `$id`
 * itself is dropped, since it would rebase those references).
 *
 * Promises: every route of the table appears under `paths`; every `$ref` the
 * document contains resolves inside it; two different schemas with one `$id`
 * are refused (assert), because one of them would silently win.
 */
import { assert } from '../errors.ts';
import type { RouteSpec } from './route-spec.ts';
import { ErrorBody } from './schemas.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: OpenApiInfo;
  readonly jsonSchemaDialect: string;
  readonly tags: { name: string }[];
  readonly paths: Record<string, Record<string, JsonObject>>;
  readonly components: { schemas: Record<string, JsonObject> };
}

const REF_PREFIX = '#/components/schemas/';

/** Collects `$id`-named schemas while converting TypeBox schemas to plain JSON Schema with `$ref`s. */
class SchemaCollector {
  readonly components: Record<string, JsonObject> = {};
  readonly #seen = new Map<string, string>();

  /** A plain-JSON copy of `schema`; a schema with an `$id` becomes a `$ref` to its component. */
  convert(schema: unknown): Json {
    if (Array.isArray(schema)) return schema.map((item) => this.convert(item));
    if (schema === null || typeof schema !== 'object') return schema as Json;
    const record = schema as Record<string, unknown>;
    const id = record.$id;
    if (typeof id === 'string') {
      this.#register(id, record);
      return { $ref: REF_PREFIX + id };
    }
    return this.#copy(record);
  }

  /** Converts a document-level value that may hold schemas (extensions), keeping its own shape. */
  #copy(record: Record<string, unknown>): JsonObject {
    const out: JsonObject = {};
    for (const key of Object.keys(record)) {
      if (key === '$id') continue;
      const value = record[key];
      if (value === undefined) continue;
      out[key] = this.convert(value);
    }
    return out;
  }

  #register(id: string, schema: Record<string, unknown>): void {
    const fingerprint = JSON.stringify(schema);
    const previous = this.#seen.get(id);
    if (previous !== undefined) {
      assert(previous === fingerprint, `two different schemas share the $id "${id}"`);
      return;
    }
    this.#seen.set(id, fingerprint);
    this.components[id] = this.#copy(schema);
  }
}

/** `/v1/tx/:hash` → `/v1/tx/{hash}`. */
export function openApiPath(fastifyUrl: string): string {
  return fastifyUrl.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(
  collector: SchemaCollector,
  where: 'path' | 'query',
  schema: RouteSpec['params'],
): JsonObject[] {
  if (schema === undefined) return [];
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, property]) => {
    const description = (property as { description?: unknown }).description;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: collector.convert(property),
    };
  });
}

function operation(collector: SchemaCollector, route: RouteSpec): JsonObject {
  const responses: JsonObject = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.schema === undefined
        ? {}
        : {
            content: {
              [response.contentType ?? 'application/json']: { schema: collector.convert(response.schema) },
            },
          }),
    };
  }
  const errorContent = { 'application/json': { schema: collector.convert(ErrorBody) } };
  responses['4XX'] ??= {
    description: 'the request was refused: code, message and hint',
    content: errorContent,
  };
  responses['5XX'] ??= {
    description: 'the node cannot answer now (503 with Retry-After) or failed (500 INTERNAL)',
    content: errorContent,
  };
  const params = [
    ...parameters(collector, 'path', route.params),
    ...parameters(collector, 'query', route.querystring),
  ];
  const out: JsonObject = {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description === undefined ? {} : { description: route.description }),
    tags: [...route.tags],
    ...(params.length === 0 ? {} : { parameters: params }),
    ...(route.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: collector.convert(route.body) } },
          },
        }),
    responses,
  };
  for (const [key, value] of Object.entries(route.extensions ?? {})) out[key] = collector.convert(value);
  return out;
}

export function openApiDocument(routes: readonly RouteSpec[], info: OpenApiInfo): OpenApiDocument {
  const collector = new SchemaCollector();
  const paths: Record<string, Record<string, JsonObject>> = {};
  const tags = new Set<string>();
  for (const route of routes) {
    const path = openApiPath(route.url);
    paths[path] ??= {};
    const methods = paths[path];
    const method = route.method.toLowerCase();
    assert(methods[method] === undefined, `route ${route.method} ${route.url} is listed twice`);
    methods[method] = operation(collector, route);
    for (const tag of route.tags) tags.add(tag);
  }
  const schemas: Record<string, JsonObject> = {};
  for (const name of Object.keys(collector.components).sort()) schemas[name] = collector.components[name]!;
  return {
    openapi: '3.1.0',
    info,
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    tags: [...tags].map((name) => ({ name })),
    paths,
    components: { schemas },
  };
}
