/** One contract: its current version and code hash, every version and status change (with the proposal that decided it), and its code. */
import { useState } from 'react';
import { ModuleView } from '../components/module-state.tsx';
import { Badge, Card, ErrorNotice, Field, Fields, Hash, Loading, PageHeader } from '../components/ui.tsx';
import { formatBytes, formatInteger, shortHash } from '../lib/format.ts';
import { useModuleQuery } from '../lib/module-query.ts';
import type { ContractRecord } from '../lib/module-types.ts';
import { useNode } from '../lib/node.tsx';
import { links } from '../lib/router.tsx';
import { useAsync } from '../lib/use-async.ts';

function Code({ codeHash }: { codeHash: string }) {
  const { client } = useNode();
  const code = useAsync(
    () => client.query<{ codeHash: string; code: string }>('contract', 'code', { codeHash }),
    [client, codeHash],
  );
  if (code.error) return <ErrorNotice error={code.error} title="Could not load the code" />;
  if (!code.data) return <Loading what="Loading the code" />;
  return <pre className="json">{code.data.code}</pre>;
}

export function ContractPage({ name }: { name: string }) {
  const info = useModuleQuery<ContractRecord>('contract', 'info', { name });
  const [shownCode, setShownCode] = useState<string>();
  return (
    <div className="page" data-testid="contract-page">
      <PageHeader
        title={<>Contract {name}</>}
        subtitle={<a href={links.governance('contracts')}>← all contracts</a>}
      />
      <ModuleView state={info} module="contract" what="the contract" onRetry={info.reload}>
        {(c) => (
          <>
            <Card title="Current version">
              <Fields>
                <Field label="Version">{c.version}</Field>
                <Field label="Status">
                  {c.status === 'active' ? (
                    <Badge tone="good">active</Badge>
                  ) : (
                    <Badge tone="bad">{c.status}</Badge>
                  )}
                </Field>
                <Field label="Code hash">
                  <Hash value={c.codeHash} full />
                  <div className="muted small">
                    SHA-256 of the compiled JavaScript; every organisation voted for this hash.
                  </div>
                </Field>
                <Field label="Code size">{formatBytes(c.codeBytes)}</Field>
                <Field label="Methods">
                  {c.methods.map((m) => (
                    <Badge key={m}>{m}</Badge>
                  ))}
                </Field>
              </Fields>
            </Card>
            <Card title="History" testId="contract-history">
              <table className="table">
                <thead>
                  <tr>
                    <th>Change</th>
                    <th className="num">Version</th>
                    <th>Code hash</th>
                    <th>Block</th>
                    <th>Transaction</th>
                    <th>Decided by</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {[...c.history].reverse().map((h) => (
                    <tr key={`${h.txHash}-${h.action}`}>
                      <td>
                        <Badge tone={h.action === 'disable' ? 'bad' : 'info'}>{h.action}</Badge>
                      </td>
                      <td className="num">{h.version}</td>
                      <td>
                        <Hash value={h.codeHash} copy={false} />
                      </td>
                      <td>
                        <a href={links.block(h.height)}>#{formatInteger(h.height)}</a>
                      </td>
                      <td>
                        <a className="mono" href={links.tx(h.txHash)}>
                          {shortHash(h.txHash)}
                        </a>
                      </td>
                      <td>
                        {h.proposal === null ? (
                          '—'
                        ) : (
                          <a href={links.proposal(String(h.proposal))}>proposal {h.proposal}</a>
                        )}
                      </td>
                      <td>
                        <button
                          type="button"
                          className="button button-small button-quiet"
                          onClick={() => setShownCode(h.codeHash)}
                        >
                          view code
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Card>
            {shownCode ? (
              <Card
                title={<>Code {shortHash(shownCode)}</>}
                actions={
                  <button
                    type="button"
                    className="button button-small"
                    onClick={() => setShownCode(undefined)}
                  >
                    Close
                  </button>
                }
              >
                <Code codeHash={shownCode} />
              </Card>
            ) : null}
          </>
        )}
      </ModuleView>
    </div>
  );
}
