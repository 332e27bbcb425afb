/**
 * The node this console talks to, and what every page shares about it: the
 * SDK client, the subscription socket's state, the node's status and
 * validator set (polled), and the stream of committed block heads (WebSocket).
 *
 * Which node: the page's own origin by default (a node serves the console), or
 * the URL chosen in Settings (kept in localStorage), or `?node=<url>` in the
 * page address. Everything goes through the public API via the SDK.
 */
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import {
  type BlockSummaryJson,
  MeridianClient,
  type NodeStatusJson,
  ProvenanceClient,
  type SocketState,
  type ValidatorInfoJson,
} from '../../../src/api/sdk.ts';

const STORAGE_KEY = 'meridian.console.node';
/** Heads kept in memory for the explorer and the charts. */
export const MAX_HEADS = 200;
const STATUS_POLL_MS = 2_000;

export function defaultNodeUrl(): string {
  const { protocol, origin } = window.location;
  return protocol === 'http:' || protocol === 'https:' ? origin : 'http://127.0.0.1:8600';
}

function initialNodeUrl(): string {
  const fromQuery = new URLSearchParams(window.location.search).get('node');
  if (fromQuery) return fromQuery.replace(/\/+$/, '');
  try {
    const saved = window.localStorage.getItem(STORAGE_KEY);
    if (saved) return saved;
  } catch {
    // storage disabled: use the default
  }
  return defaultNodeUrl();
}

export interface NodeContextValue {
  readonly baseUrl: string;
  readonly isDefaultNode: boolean;
  readonly client: MeridianClient;
  /** The SDK's provenance client on the same node. */
  readonly provenance: ProvenanceClient;
  readonly socket: SocketState;
  readonly status: NodeStatusJson | undefined;
  readonly statusError: unknown;
  /** When the last status answer arrived (ms). */
  readonly statusAtMs: number | undefined;
  readonly validators: readonly ValidatorInfoJson[] | undefined;
  /** Newest first, at most MAX_HEADS, from the `heads` subscription (gaps filled from /v1/blocks). */
  readonly heads: readonly BlockSummaryJson[];
  /** When each head arrived here (for the live charts), by height. */
  readonly headArrivals: ReadonlyMap<number, number>;
  /** Chooses another node (undefined: back to this page's own node). */
  readonly setNode: (url: string | undefined) => void;
  readonly refreshStatus: () => void;
}

const NodeContext = createContext<NodeContextValue | undefined>(undefined);

export function useNode(): NodeContextValue {
  const value = useContext(NodeContext);
  if (!value) throw new Error('useNode outside NodeProvider');
  return value;
}

function mergeHeads(current: readonly BlockSummaryJson[], incoming: readonly BlockSummaryJson[]) {
  const byHeight = new Map<number, BlockSummaryJson>();
  for (const h of current) byHeight.set(h.height, h);
  for (const h of incoming) byHeight.set(h.height, h);
  return [...byHeight.values()].sort((a, b) => b.height - a.height).slice(0, MAX_HEADS);
}

export function NodeProvider({ children }: { children: ReactNode }) {
  const [baseUrl, setBaseUrl] = useState(initialNodeUrl);
  const [socket, setSocket] = useState<SocketState>('closed');
  const [status, setStatus] = useState<NodeStatusJson>();
  const [statusError, setStatusError] = useState<unknown>();
  const [statusAtMs, setStatusAtMs] = useState<number>();
  const [validators, setValidators] = useState<ValidatorInfoJson[]>();
  const [heads, setHeads] = useState<readonly BlockSummaryJson[]>([]);
  const arrivals = useRef(new Map<number, number>());
  const [headArrivals, setHeadArrivals] = useState<ReadonlyMap<number, number>>(new Map());

  const client = useMemo(
    () => new MeridianClient(baseUrl, { onSocketStateChange: setSocket, requestTimeoutMs: 15_000 }),
    [baseUrl],
  );
  useEffect(() => () => client.close(), [client]);
  const provenance = useMemo(() => new ProvenanceClient(client, { timeoutMs: 60_000 }), [client]);

  const refreshStatus = useCallback(() => {
    Promise.all([client.status(), client.validators()]).then(
      ([s, v]) => {
        setStatus(s);
        setValidators(v);
        setStatusError(undefined);
        setStatusAtMs(Date.now());
      },
      (error: unknown) => setStatusError(error),
    );
  }, [client]);

  useEffect(() => {
    setStatus(undefined);
    setValidators(undefined);
    setHeads([]);
    arrivals.current = new Map();
    setHeadArrivals(new Map());
    refreshStatus();
    const timer = setInterval(refreshStatus, STATUS_POLL_MS);
    return () => clearInterval(timer);
  }, [refreshStatus]);

  useEffect(() => {
    let alive = true;
    const backfill = () =>
      client.recentBlocks(50).then(
        (blocks) => alive && setHeads((current) => mergeHeads(current, blocks)),
        () => {},
      );
    const unsubscribe = client.subscribe(
      'heads',
      {},
      (head) => {
        arrivals.current.set(head.height, Date.now());
        if (arrivals.current.size > MAX_HEADS * 2) {
          const oldest = [...arrivals.current.keys()].sort((a, b) => a - b).slice(0, MAX_HEADS);
          for (const h of oldest) arrivals.current.delete(h);
        }
        setHeadArrivals(new Map(arrivals.current));
        setHeads((current) => mergeHeads(current, [head]));
      },
      // First subscription and every resubscription: fetch what the socket may have missed.
      { onSubscribed: () => void backfill() },
    );
    void backfill();
    return () => {
      alive = false;
      unsubscribe();
    };
  }, [client]);

  const setNode = useCallback((url: string | undefined) => {
    const next = url === undefined || url.trim() === '' ? undefined : url.trim().replace(/\/+$/, '');
    try {
      if (next === undefined) window.localStorage.removeItem(STORAGE_KEY);
      else window.localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // storage disabled: the choice lasts for this page only
    }
    setBaseUrl(next ?? defaultNodeUrl());
  }, []);

  const value: NodeContextValue = {
    baseUrl,
    isDefaultNode: baseUrl === defaultNodeUrl(),
    client,
    provenance,
    socket,
    status,
    statusError,
    statusAtMs,
    validators,
    heads,
    headArrivals,
    setNode,
    refreshStatus,
  };
  return <NodeContext.Provider value={value}>{children}</NodeContext.Provider>;
}
