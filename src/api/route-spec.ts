/**
 * One entry of the API's route table. The server registers exactly these
 * routes and `/openapi.json` is generated from exactly these entries, so the
 * document cannot drift from what is served.
 */
import type { TObject, TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';

export interface RouteResponse {
  readonly description: string;
  /** The body's schema; omitted for responses without a body (101, 204). */
  readonly schema?: TSchema;
  /** Defaults to application/json. Only JSON responses are serialised through their schema. */
  readonly contentType?: string;
  /** The body is sent as the handler returns it; `schema` only documents it (for open-ended documents). */
  readonly freeForm?: boolean;
}

export interface RouteSpec {
  readonly method: 'GET' | 'POST';
  /** fastify syntax: `/v1/tx/:hash`. */
  readonly url: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly params?: TObject;
  readonly querystring?: TObject;
  readonly body?: TSchema;
  /**
   * Success (and route-specific) responses by status. Every route also answers
   * 4XX/5XX with the `Error` body; list a status here only when its body differs.
   */
  readonly responses: Readonly<Record<number, RouteResponse>>;
  readonly handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  /** Set on the WebSocket endpoint: handles an upgraded connection. */
  readonly wsHandler?: (socket: WebSocket, request: FastifyRequest) => void;
  /** Vendor extensions (`x-…`) copied into the operation; TypeBox schemas inside become `$ref`s. */
  readonly extensions?: Readonly<Record<`x-${string}`, unknown>>;
}
