/**
 * An account (an Ed25519 public key): its nonce, whether it is a validator,
 * its organisation (membership module), and the transactions it sent in the
 * latest blocks. The API has no index by sender, so the list is found by
 * reading the latest blocks that carry transactions, and says how far it looked.
 */
import type { AccountJson, BlockJson } from '../../../src/api/sdk.ts';
import {
  Badge,
  Card,
  Empty,
  ErrorNotice,
  Field,
  Fields,
  Hash,
  Loading,
  PageHeader,
} from '../components/ui.tsx';
import { formatInteger, shortHash, timeAgo } from '../lib/format.ts';
import { useOrganizationDirectory } from '../lib/membership.ts';
import { useNode } from '../lib/node.tsx';
import { links } from '../lib/router.tsx';
import { useAsync, useNow } from '../lib/use-async.ts';

/** Block summaries read when looking for an account's transactions, and full blocks fetched at most. */
const SCAN_SUMMARIES = 100;
const SCAN_BLOCKS = 40;

async function findSentTransactions(
  client: ReturnType<typeof useNode>['client'],
  publicKey: string,
): Promise<{
  found: { block: BlockJson; index: number }[];
  fromHeight: number | undefined;
  blocksRead: number;
}> {
  const summaries = await client.recentBlocks(SCAN_SUMMARIES);
  const withTxs = summaries.filter((s) => s.txCount > 0).slice(0, SCAN_BLOCKS);
  const blocks = await Promise.all(withTxs.map((s) => client.block(s.height)));
  const found: { block: BlockJson; index: number }[] = [];
  for (const block of blocks) {
    block.transactions.forEach((tx, index) => {
      if (tx.sender.toLowerCase() === publicKey.toLowerCase()) found.push({ block, index });
    });
  }
  const fromHeight =
    withTxs.length === SCAN_BLOCKS
      ? withTxs[withTxs.length - 1]?.height
      : summaries[summaries.length - 1]?.height;
  return { found, fromHeight, blocksRead: blocks.length };
}

export function AccountPage({ publicKey }: { publicKey: string }) {
  const { client, validators } = useNode();
  const directory = useOrganizationDirectory();
  const now = useNow(5000);
  const valid = /^0x[0-9a-fA-F]{64}$/.test(publicKey);
  const account = useAsync<AccountJson | undefined>(
    () => (valid ? client.account(publicKey) : Promise.resolve(undefined)),
    [client, publicKey],
  );
  const sent = useAsync(
    () => (valid ? findSentTransactions(client, publicKey) : Promise.resolve(undefined)),
    [client, publicKey],
  );
  if (!valid) {
    return (
      <div className="page">
        <PageHeader title="Account" />
        <Empty title="That is not an account key">
          An account is an Ed25519 public key: 0x and 64 hex digits.
        </Empty>
      </div>
    );
  }
  const validator = validators?.find((v) => v.publicKey.toLowerCase() === publicKey.toLowerCase());
  const org = directory.organizationOf(publicKey);
  const member = directory.memberOf(publicKey);

  return (
    <div className="page" data-testid="account-page">
      <PageHeader
        title={
          <>
            {directory.nameOf(publicKey) ?? validator?.name ?? 'Account'}{' '}
            {validator ? <Badge tone="accent">validator</Badge> : null}
          </>
        }
        subtitle={<Hash value={publicKey} full />}
      />
      <div className="grid-2">
        <Card title="Account">
          {account.error ? (
            <ErrorNotice error={account.error} onRetry={account.reload} />
          ) : !account.data ? (
            <Loading />
          ) : (
            <Fields>
              <Field label="Next nonce">
                {formatInteger(account.data.nonce)}{' '}
                <span className="muted small">
                  {account.data.nonce === 0
                    ? '(has never sent a transaction)'
                    : `(${account.data.nonce} transaction${account.data.nonce === 1 ? '' : 's'} sent)`}
                </span>
              </Field>
              <Field label="Organisation">
                {org ? (
                  <a href={links.organization(org.id)}>{org.name}</a>
                ) : (
                  <span className="muted">
                    {directory.available ? 'not a member of any organisation' : directory.reason}
                  </span>
                )}
              </Field>
              {member ? (
                <Field label="Member">
                  {member.name} · {member.kind} ·{' '}
                  {member.roles.map((r) => (
                    <Badge key={r} tone={r === 'org-admin' || r === 'regulator' ? 'accent' : 'neutral'}>
                      {r}
                    </Badge>
                  ))}{' '}
                  {member.status === 'active' ? null : <Badge tone="bad">{member.status}</Badge>}
                </Field>
              ) : null}
              {validator ? (
                <Field label="Validator">
                  #{validator.index} · {validator.connected ? 'online' : 'offline'}
                  {validator.isPrimary ? ' · primary' : ''}
                </Field>
              ) : null}
              <Field label="Nonce in state">
                <a href={links.state(`0x616363742f${publicKey.slice(2)}`)}>
                  prove acct/{shortHash(publicKey)} →
                </a>
              </Field>
            </Fields>
          )}
        </Card>
        <Card title="What an account is">
          <p className="small">
            An account is an Ed25519 key pair. Its public key (above) identifies it; the secret key stays with
            its owner and signs transactions. The nonce counts its transactions, so none can be replayed.
          </p>
        </Card>
      </div>
      <Card title="Transactions sent" testId="sent-txs">
        {sent.error ? (
          <ErrorNotice error={sent.error} onRetry={sent.reload} />
        ) : !sent.data ? (
          <Loading what="Reading the latest blocks" />
        ) : sent.data.found.length === 0 ? (
          <Empty title="None in the latest blocks">
            Read {sent.data.blocksRead} block{sent.data.blocksRead === 1 ? '' : 's'} with transactions
            {sent.data.fromHeight !== undefined ? ` back to #${sent.data.fromHeight}` : ''}.
          </Empty>
        ) : (
          <>
            <table className="table">
              <thead>
                <tr>
                  <th>Hash</th>
                  <th>Kind</th>
                  <th className="num">Nonce</th>
                  <th>Block</th>
                  <th>Outcome</th>
                  <th>Time</th>
                </tr>
              </thead>
              <tbody>
                {sent.data.found.map(({ block, index }) => {
                  const tx = block.transactions[index]!;
                  const receipt = block.receipts[index];
                  return (
                    <tr key={tx.hash}>
                      <td>
                        <a className="mono" href={links.tx(tx.hash)}>
                          {shortHash(tx.hash)}
                        </a>
                      </td>
                      <td>
                        <Badge tone="info">{tx.kind}</Badge>
                      </td>
                      <td className="num">{tx.nonce}</td>
                      <td>
                        <a href={links.block(block.header.height)}>#{block.header.height}</a>
                      </td>
                      <td>
                        {receipt?.status === 'ok' ? (
                          <Badge tone="good">ok</Badge>
                        ) : (
                          <Badge tone="bad">{receipt?.errorCode ?? 'error'}</Badge>
                        )}
                      </td>
                      <td>{timeAgo(block.header.timestampMs, now)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <p className="muted small">
              Found by reading the latest {sent.data.blocksRead} block{sent.data.blocksRead === 1 ? '' : 's'}{' '}
              with transactions
              {sent.data.fromHeight !== undefined ? ` (back to #${sent.data.fromHeight})` : ''}: the API has
              no index by sender.
            </p>
          </>
        )}
      </Card>
    </div>
  );
}
