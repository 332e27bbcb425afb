/**
 * Which node the console talks to. By default the node that served this page.
 * Another node's API can be used from here only if that node allows this
 * page's origin (its API `corsOrigins`); otherwise open the console that node
 * serves itself.
 */
import { useState } from 'react';
import { Badge, Card, ErrorNotice, Field, Fields, Hash, Notice, PageHeader } from '../components/ui.tsx';
import { defaultNodeUrl, useNode } from '../lib/node.tsx';

/** The API URLs a devnet's validators would have: consecutive ports from validator 0's. */
function devnetGuess(baseUrl: string, ownIndex: number, count: number): string[] {
  try {
    const url = new URL(baseUrl);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    return Array.from({ length: count }, (_, i) => {
      const guess = new URL(baseUrl);
      guess.port = String(port - ownIndex + i);
      return guess.origin;
    });
  } catch {
    return [];
  }
}

export function SettingsPage() {
  const { baseUrl, setNode, status, validators, isDefaultNode, statusError } = useNode();
  const [draft, setDraft] = useState(baseUrl);
  const [checking, setChecking] = useState(false);
  const [checkError, setCheckError] = useState<unknown>();
  const ownIndex = validators?.findIndex((v) => v.publicKey === status?.nodeKey) ?? -1;
  const guesses = validators && ownIndex >= 0 ? devnetGuess(baseUrl, ownIndex, validators.length) : [];

  const tryNode = async (url: string) => {
    setChecking(true);
    setCheckError(undefined);
    try {
      const response = await fetch(`${url.replace(/\/+$/, '')}/v1/status`, {
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      setNode(url);
    } catch (error) {
      setCheckError({
        code: 'NODE_NOT_USABLE',
        message: `This page cannot read ${url}: ${(error as Error).message}`,
        hint: 'either the node is down, or it does not allow this page’s origin (CORS); open the console it serves instead',
      });
    } finally {
      setChecking(false);
    }
  };

  return (
    <div className="page">
      <PageHeader title="Settings" subtitle="Which node this console reads from and sends transactions to." />
      <Card title="Node">
        <Fields>
          <Field label="Talking to">
            {baseUrl}{' '}
            {isDefaultNode ? (
              <Badge tone="info">this page’s own node</Badge>
            ) : (
              <Badge tone="warn">chosen here</Badge>
            )}
          </Field>
          {status ? (
            <>
              <Field label="Node">
                {status.nodeName} · chain {status.chainId} · version {status.version}
              </Field>
              <Field label="Node key">
                <Hash value={status.nodeKey} />
              </Field>
            </>
          ) : null}
        </Fields>
        {statusError ? <ErrorNotice error={statusError} title="The node does not answer" /> : null}
        <form
          className="form-row"
          onSubmit={(event) => {
            event.preventDefault();
            void tryNode(draft.trim());
          }}
        >
          <label className="grow">
            Node API URL
            <input
              name="node"
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
              placeholder="http://127.0.0.1:8601"
            />
          </label>
          <button className="button button-primary" type="submit" disabled={checking}>
            {checking ? 'Checking…' : 'Use this node'}
          </button>
          {!isDefaultNode ? (
            <button className="button" type="button" onClick={() => setNode(undefined)}>
              Back to {defaultNodeUrl()}
            </button>
          ) : null}
        </form>
        {checkError ? <ErrorNotice error={checkError} title="Not switched" /> : null}
      </Card>
      <Card title="Other validators of this network">
        {validators === undefined ? null : (
          <>
            <p className="small muted">
              The API does not publish validators’ API addresses. On a devnet they use consecutive ports, so
              these are guesses from that layout. Every validator serves this console itself: opening its own
              console always works.
            </p>
            <table className="table">
              <thead>
                <tr>
                  <th>Validator</th>
                  <th>API (devnet guess)</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {validators.map((v, i) => {
                  const url = guesses[i];
                  return (
                    <tr key={v.publicKey}>
                      <td>
                        {v.name}{' '}
                        {v.publicKey === status?.nodeKey ? <Badge tone="info">this node</Badge> : null}
                      </td>
                      <td className="mono">{url ?? '—'}</td>
                      <td>
                        <div className="button-row">
                          {url && url !== baseUrl ? (
                            <>
                              <a className="button button-small" href={`${url}/${window.location.hash}`}>
                                Open its console
                              </a>
                              <button
                                type="button"
                                className="button button-small button-quiet"
                                onClick={() => void tryNode(url)}
                              >
                                Use from this page
                              </button>
                            </>
                          ) : null}
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </>
        )}
      </Card>
      <Notice title="Keys stay here">
        When you load a key file to vote or send a transaction, it is decrypted and used in this page only.
        The console sends signed transactions, never keys.
      </Notice>
    </div>
  );
}
