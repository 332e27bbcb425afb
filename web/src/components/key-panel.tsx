/** Unlock a key file in the page (to vote, or to sign any transaction); shows who the key is on chain. */
import { useState } from 'react';
import { useKey } from '../lib/keys.tsx';
import { useOrganizationDirectory } from '../lib/membership.ts';
import { links } from '../lib/router.tsx';
import { Badge, Card, ErrorNotice, Hash } from './ui.tsx';

export function KeyPanel({ purpose }: { purpose: string }) {
  const { key, unlock, forget } = useKey();
  const directory = useOrganizationDirectory();
  const [text, setText] = useState<string>();
  const [fileName, setFileName] = useState<string>();
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  if (key) {
    const member = directory.memberOf(key.publicKey);
    const org = directory.organizationOf(key.publicKey);
    return (
      <Card
        title="Your key"
        testId="key-panel"
        actions={
          <button type="button" className="button button-small" onClick={forget}>
            Forget key
          </button>
        }
      >
        <div>
          <strong>{member?.name ?? (key.label || 'unlocked key')}</strong>{' '}
          <Hash value={key.publicKey} href={links.account(key.publicKey)} />
        </div>
        {member ? (
          <div className="small">
            {member.kind} of {org ? <a href={links.organization(org.id)}>{org.name}</a> : member.organization}{' '}
            · roles{' '}
            {member.roles.map((r) => (
              <Badge key={r} tone={r === 'org-admin' || r === 'regulator' ? 'accent' : 'neutral'}>
                {r}
              </Badge>
            ))}{' '}
            {member.status !== 'active' ? <Badge tone="bad">{member.status}</Badge> : null}
          </div>
        ) : (
          <div className="small muted">
            {directory.available
              ? 'This key is not a registered member: the chain will refuse its transactions.'
              : directory.reason}
          </div>
        )}
        <div className="small muted">Unlocked in this page only. Reloading the page forgets it.</div>
      </Card>
    );
  }
  return (
    <Card title="Sign with your key" testId="key-panel">
      <p className="small">
        {purpose} Choose your key file (written by <code>meridian key gen</code>) and type its passphrase. It
        is decrypted in this page; the secret key is never stored or sent — only the signed transaction is.
      </p>
      <form
        className="form-row"
        onSubmit={(event) => {
          event.preventDefault();
          if (text === undefined) return;
          setBusy(true);
          setError(undefined);
          unlock(text, passphrase).then(
            () => {
              setBusy(false);
              setPassphrase('');
            },
            (e: unknown) => {
              setBusy(false);
              setError(e);
            },
          );
        }}
      >
        <label>
          Key file
          <input
            type="file"
            name="keyfile"
            accept=".json,application/json"
            onChange={(event) => {
              const file = event.target.files?.[0];
              setFileName(file?.name);
              setText(undefined);
              if (file) void file.text().then(setText);
            }}
          />
        </label>
        <label className="grow">
          Passphrase
          <input
            type="password"
            name="passphrase"
            autoComplete="current-password"
            value={passphrase}
            onChange={(event) => setPassphrase(event.target.value)}
          />
        </label>
        <button type="submit" className="button button-primary" disabled={busy || text === undefined}>
          {busy ? 'Unlocking…' : 'Unlock'}
        </button>
      </form>
      {fileName && text === undefined ? <div className="small muted">Reading {fileName}…</div> : null}
      {error ? <ErrorNotice error={error} title="Could not unlock the key" /> : null}
    </Card>
  );
}
