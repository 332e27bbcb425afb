/**
 * Resolves a search box entry and goes to its page: a height to its block; a
 * 32-byte hash to the transaction, block or account it names (asking the node
 * in that order); a URI to its provenance; anything else to a state lookup.
 */
import { useEffect, useState } from 'react';
import { Empty, ErrorNotice, Loading, PageHeader } from '../components/ui.tsx';
import { shortHash } from '../lib/format.ts';
import { useNode } from '../lib/node.tsx';
import { links, navigate } from '../lib/router.tsx';
import { classifySearch } from '../lib/search.ts';

type Outcome = { kind: 'resolving' } | { kind: 'none'; what: string } | { kind: 'error'; error: unknown };

export function SearchPage({ q }: { q: string }) {
  const { client, validators } = useNode();
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'resolving' });
  useEffect(() => {
    let alive = true;
    const go = (href: string) => alive && navigate(href, { replace: true });
    const query = classifySearch(q);
    setOutcome({ kind: 'resolving' });
    switch (query.kind) {
      case 'empty':
        setOutcome({ kind: 'none', what: 'an empty search' });
        break;
      case 'height':
        go(links.block(query.height));
        break;
      case 'uri':
        go(links.provenance(query.uri));
        break;
      case 'key':
        go(links.state(query.key));
        break;
      case 'hash':
        (async () => {
          const tx = await client.txStatus(query.hash);
          if (tx.status !== 'unknown') return go(links.tx(query.hash));
          try {
            await client.block(query.hash);
            return go(links.block(query.hash));
          } catch (error) {
            if ((error as { code?: string }).code !== 'BLOCK_NOT_FOUND') throw error;
          }
          const isValidator = validators?.some((v) => v.publicKey.toLowerCase() === query.hash);
          const account = await client.account(query.hash);
          if (isValidator || account.nonce > 0) return go(links.account(query.hash));
          if (alive) setOutcome({ kind: 'none', what: shortHash(query.hash) });
        })().catch((error: unknown) => alive && setOutcome({ kind: 'error', error }));
        break;
    }
    return () => {
      alive = false;
    };
  }, [q, client, validators]);

  return (
    <div className="page">
      <PageHeader title="Search" subtitle={<code>{q}</code>} />
      {outcome.kind === 'resolving' ? (
        <Loading what="Searching" />
      ) : outcome.kind === 'error' ? (
        <ErrorNotice error={outcome.error} title="The search failed" />
      ) : (
        <Empty
          title={`Nothing found for ${outcome.what}`}
          action={<a href={links.explorer()}>Latest blocks</a>}
        >
          <p>The search box takes:</p>
          <ul className="list">
            <li>
              a block height, e.g. <code>12</code>
            </li>
            <li>
              a block or transaction hash, or an account key: <code>0x</code> and 64 hex digits
            </li>
            <li>
              a world-state key, e.g. <code>kv/hello</code> (opens the state lookup with its proof)
            </li>
            <li>
              a dataset URI, e.g. <code>https://data.example.org/merged</code> (opens its provenance)
            </li>
          </ul>
          {outcome.what !== 'an empty search' ? (
            <p>
              A hash no transaction, block or active account has may still be a key: an account that never
              sent a transaction has nothing on chain.{' '}
              <a href={links.account(q.trim())}>Open it as an account anyway</a>.
            </p>
          ) : null}
        </Empty>
      )}
    </div>
  );
}
