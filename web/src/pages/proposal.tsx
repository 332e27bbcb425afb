/**
 * One proposal: what it does, who proposed it, every organisation's vote, the
 * tally against the quorum, and — for an org-admin who unlocks a key in this
 * page — the vote itself, signed here and sent through the SDK. A yes-vote on
 * code carries the code hash computed here from the code the voter can read.
 */
import { useEffect, useState } from 'react';
import type { TxStatusJson } from '../../../src/api/sdk.ts';
import { toHex, utf8 } from '../../../src/codec/bytes.ts';
import { sha256 } from '../../../src/crypto/sha256.ts';
import { KeyPanel } from '../components/key-panel.tsx';
import { ModuleView } from '../components/module-state.tsx';
import {
  Badge,
  Card,
  Empty,
  ErrorNotice,
  Field,
  Fields,
  Hash,
  JsonBlock,
  Loading,
  Notice,
  PageHeader,
} from '../components/ui.tsx';
import { formatInteger, shortHash } from '../lib/format.ts';
import { useKey } from '../lib/keys.tsx';
import { useNames, useOrganizationDirectory } from '../lib/membership.ts';
import { useModuleQuery } from '../lib/module-query.ts';
import type { GovernanceSettings, ProposalDetails } from '../lib/module-types.ts';
import { useNode } from '../lib/node.tsx';
import { links } from '../lib/router.tsx';
import { useAsync } from '../lib/use-async.ts';
import { describeAction, ProposalStatusBadge } from './governance.tsx';

const CODE_ACTIONS = ['deployContract', 'upgradeContract'];

/** The code of a deploy/upgrade proposal and its SHA-256 computed here. */
function useProposalCode(id: number, type: string) {
  const { client } = useNode();
  return useAsync(async () => {
    if (!CODE_ACTIONS.includes(type)) return undefined;
    const action = await client.query<{ code?: string; codeHash?: string }>('governance', 'action', { id });
    if (typeof action.code !== 'string') return undefined;
    return { code: action.code, computedHash: toHex(sha256(utf8(action.code))), statedHash: action.codeHash };
  }, [client, id, type]);
}

function VotePanel({ proposal, onVoted }: { proposal: ProposalDetails; onVoted: () => void }) {
  const { client } = useNode();
  const { key } = useKey();
  const directory = useOrganizationDirectory();
  const code = useProposalCode(proposal.id, proposal.action.type);
  const [sending, setSending] = useState<'yes' | 'no'>();
  const [result, setResult] = useState<TxStatusJson>();
  const [error, setError] = useState<unknown>();
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new key starts a new vote
  useEffect(() => {
    setResult(undefined);
    setError(undefined);
  }, [key?.publicKey]);

  const outcome = result ? (
    result.receipt?.status === 'ok' ? (
      <Notice tone="good" title="Vote committed">
        In block <a href={links.block(result.height!)}>#{result.height}</a> —{' '}
        <a href={links.tx(result.hash)}>transaction</a>.
      </Notice>
    ) : (
      <ErrorNotice
        title="The chain refused the vote"
        error={{ code: result.receipt?.errorCode, message: result.receipt?.errorMessage ?? 'failed' }}
      />
    )
  ) : null;
  if (proposal.status !== 'open') {
    return (
      <>
        {outcome}
        <Notice tone="neutral" title="Voting is closed">
          This proposal is {proposal.status}
          {proposal.decidedAtHeight !== null ? (
            <>
              {' '}
              since block <a href={links.block(proposal.decidedAtHeight)}>#{proposal.decidedAtHeight}</a>
            </>
          ) : null}
          .
        </Notice>
      </>
    );
  }
  const member = key ? directory.memberOf(key.publicKey) : undefined;
  const alreadyVoted = member
    ? proposal.votes.find((v) => v.organization === member.organization)
    : undefined;
  const isAdmin = member?.roles.includes('org-admin') ?? false;
  const needsCode = CODE_ACTIONS.includes(proposal.action.type);

  const vote = async (approve: boolean) => {
    if (!key) return;
    setSending(approve ? 'yes' : 'no');
    setError(undefined);
    setResult(undefined);
    try {
      const payload: Record<string, unknown> = { id: proposal.id, approve };
      if (approve && needsCode) {
        if (!code.data)
          throw new Error('the proposal’s code has not loaded: a yes-vote must carry the code hash');
        payload.codeHash = code.data.computedHash;
      }
      const { hash } = await client.sendTx({ kind: 'governance.vote', payload, signer: key.signing });
      const committed = await client.waitForTx(hash, { timeoutMs: 30_000 });
      setResult(committed);
      onVoted();
    } catch (e) {
      setError(e);
    } finally {
      setSending(undefined);
    }
  };

  return (
    <>
      <KeyPanel purpose="To vote, unlock the key of your organisation’s admin (role org-admin)." />
      {key ? (
        <Card title="Your vote" testId="vote-panel">
          {needsCode ? (
            code.loading ? (
              <Loading what="Loading the proposed code" />
            ) : code.data ? (
              <div className="small">
                The code this proposal deploys hashes here (SHA-256) to{' '}
                <Hash value={code.data.computedHash} />{' '}
                {code.data.computedHash === code.data.statedHash ? (
                  <Badge tone="good">= the proposal’s code hash</Badge>
                ) : (
                  <Badge tone="bad">
                    ≠ the proposal’s code hash {shortHash(String(code.data.statedHash))}
                  </Badge>
                )}
                . A yes-vote approves exactly this hash. Read the code below before you vote; better, compile
                the agreed source yourself and compare (<code>meridian gov vote --source</code>).
              </div>
            ) : (
              <ErrorNotice error={code.error} title="Could not load the proposed code" />
            )
          ) : null}
          {!member ? (
            <Notice tone="warn">
              This key is not a member of any organisation: the chain will refuse its vote.
            </Notice>
          ) : !isAdmin ? (
            <Notice tone="warn">
              {member.name} is not an org-admin of {member.organization}: only admins vote for their
              organisation.
            </Notice>
          ) : alreadyVoted ? (
            <Notice tone="info">
              {member.organization} has already voted {alreadyVoted.approve ? 'yes' : 'no'} at block #
              {alreadyVoted.height}: one vote per organisation.
            </Notice>
          ) : null}
          <div className="button-row">
            <button
              type="button"
              className="button button-good"
              disabled={sending !== undefined}
              onClick={() => void vote(true)}
            >
              {sending === 'yes' ? 'Sending…' : `Vote yes${member ? ` for ${member.organization}` : ''}`}
            </button>
            <button
              type="button"
              className="button button-danger"
              disabled={sending !== undefined}
              onClick={() => void vote(false)}
            >
              {sending === 'no' ? 'Sending…' : 'Vote no'}
            </button>
          </div>
          {outcome}
          {error ? <ErrorNotice error={error} title="The vote was not sent" /> : null}
        </Card>
      ) : null}
      {needsCode && code.data ? (
        <Card title="Proposed code">
          <pre className="json">{code.data.code}</pre>
        </Card>
      ) : null}
    </>
  );
}

export function ProposalPage({ id }: { id: string }) {
  const names = useNames();
  const numeric = Number(id);
  const proposal = useModuleQuery<ProposalDetails>('governance', 'proposal', { id: numeric });
  const settings = useModuleQuery<GovernanceSettings>('governance', 'settings', {});
  const directory = useOrganizationDirectory();
  if (!Number.isSafeInteger(numeric) || numeric < 1) {
    return (
      <div className="page">
        <PageHeader title="Proposal" />
        <Empty title="That is not a proposal number">Proposals are numbered from 1.</Empty>
      </div>
    );
  }
  return (
    <div className="page" data-testid="proposal-page">
      <PageHeader
        title={<>Proposal {id}</>}
        subtitle={<a href={links.governance('proposals')}>← all proposals</a>}
      />
      <ModuleView state={proposal} module="governance" what="the proposal" onRetry={proposal.reload}>
        {(p) => {
          const voters = directory.organizations.filter((o) => o.status === 'active');
          return (
            <>
              <div className="grid-2">
                <Card title={describeAction(p.action)} actions={<ProposalStatusBadge status={p.status} />}>
                  <Fields>
                    {p.description ? <Field label="Description">{p.description}</Field> : null}
                    <Field label="Proposed by">
                      <a href={links.account(p.proposer)}>{names(p.proposer) ?? shortHash(p.proposer)}</a> for{' '}
                      <a href={links.organization(p.organization)}>{p.organization}</a>
                    </Field>
                    <Field label="Opened">
                      <a href={links.block(p.createdAtHeight)}>#{formatInteger(p.createdAtHeight)}</a>
                    </Field>
                    <Field label="Open until">block #{formatInteger(p.expiresAtHeight)}</Field>
                    {p.decidedAtHeight !== null ? (
                      <Field label="Decided">
                        <a href={links.block(p.decidedAtHeight)}>#{formatInteger(p.decidedAtHeight)}</a>
                      </Field>
                    ) : null}
                    {p.outcome !== null && p.outcome !== undefined ? (
                      <Field label={p.status === 'failed' ? 'Error' : 'Enacted'}>
                        <JsonBlock value={p.outcome} maxHeight={160} />
                      </Field>
                    ) : null}
                    <Field label="Action">
                      <JsonBlock value={p.action} maxHeight={200} />
                    </Field>
                  </Fields>
                </Card>
                <Card title="Tally" testId="tally">
                  <div className="tally">
                    <div>
                      <div className="stat-label">Member organisations</div>
                      <div className="stat-value">
                        {p.tally.memberYes} yes · {p.tally.memberNo} no
                      </div>
                      <div className="muted small">{p.tally.threshold} yes needed to pass</div>
                    </div>
                    <div>
                      <div className="stat-label">Regulators</div>
                      <div className="stat-value">
                        {p.tally.regulatorYes} yes · {p.tally.regulatorNo} no
                      </div>
                      <div className="muted small">
                        {settings.kind === 'ok' && settings.data.governance.requireRegulator
                          ? 'at least one regulator must approve'
                          : 'regulator approval not required'}
                      </div>
                    </div>
                  </div>
                  {settings.kind === 'ok' ? (
                    <p className="muted small">
                      Rule: {settings.data.governance.quorum.numerator}/
                      {settings.data.governance.quorum.denominator} of active member organisations; each
                      organisation votes once, through an admin.
                    </p>
                  ) : null}
                </Card>
              </div>
              <Card title={`Votes (${p.votes.length})`} testId="votes">
                {voters.length === 0 && p.votes.length === 0 ? (
                  <Empty title="No votes yet" />
                ) : (
                  <table className="table">
                    <thead>
                      <tr>
                        <th>Organisation</th>
                        <th>Vote</th>
                        <th>By</th>
                        <th>Block</th>
                      </tr>
                    </thead>
                    <tbody>
                      {(voters.length > 0 ? voters.map((o) => o.id) : p.votes.map((v) => v.organization)).map(
                        (org) => {
                          const v = p.votes.find((x) => x.organization === org);
                          const o = directory.organizations.find((x) => x.id === org);
                          return (
                            <tr key={org} data-testid="vote-row">
                              <td>
                                <a href={links.organization(org)}>{o?.name ?? org}</a>{' '}
                                {o?.regulator ? <Badge tone="accent">regulator</Badge> : null}
                              </td>
                              <td>
                                {v ? (
                                  v.approve ? (
                                    <Badge tone="good">yes</Badge>
                                  ) : (
                                    <Badge tone="bad">no</Badge>
                                  )
                                ) : (
                                  <span className="muted">not yet</span>
                                )}
                              </td>
                              <td>
                                {v ? (
                                  <a href={links.account(v.voter)}>{names(v.voter) ?? shortHash(v.voter)}</a>
                                ) : null}
                              </td>
                              <td>{v ? <a href={links.block(v.height)}>#{v.height}</a> : null}</td>
                            </tr>
                          );
                        },
                      )}
                    </tbody>
                  </table>
                )}
              </Card>
              <VotePanel proposal={p} onVoted={proposal.reload} />
            </>
          );
        }}
      </ModuleView>
    </div>
  );
}
