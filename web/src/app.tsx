/** The console's shell: top bar (navigation, search, node), the routed page, and the footer. */
import { lazy, type ReactNode, Suspense, useEffect, useState } from 'react';
import { Dot, ErrorNotice, Loading } from './components/ui.tsx';
import { formatInteger } from './lib/format.ts';
import { KeyProvider } from './lib/keys.tsx';
import { DirectoryProvider } from './lib/membership.ts';
import { NodeProvider, useNode } from './lib/node.tsx';
import { links, navigate, type Route, useRoute } from './lib/router.tsx';
import { AccountPage } from './pages/account.tsx';
import { BlockPage } from './pages/block.tsx';
import { ExplorerPage } from './pages/explorer.tsx';
import { GovernancePage } from './pages/governance.tsx';
import { NetworkPage } from './pages/network.tsx';
import { NotFoundPage } from './pages/not-found.tsx';
import { SearchPage } from './pages/search.tsx';
import { SettingsPage } from './pages/settings.tsx';
import { StatePage } from './pages/state.tsx';
import { TxPage } from './pages/tx.tsx';

// The provenance browser carries the map library: load it only when opened.
const ProvenancePage = lazy(() => import('./pages/provenance.tsx'));

const NAV = [
  { id: 'network', label: 'Network', href: links.network() },
  { id: 'explorer', label: 'Explorer', href: links.explorer() },
  { id: 'governance', label: 'Governance', href: links.governance() },
  { id: 'provenance', label: 'Provenance', href: links.provenance() },
] as const;

function section(route: Route): string {
  const first = route.segments[0];
  if (first === undefined) return 'network';
  if (['block', 'tx', 'account', 'state', 'explorer', 'search'].includes(first)) return 'explorer';
  return first;
}

function SearchBox() {
  const route = useRoute();
  const [text, setText] = useState('');
  const onSearch = route.segments[0] === 'search';
  const query = route.params.get('q') ?? '';
  // The box shows the current search, and empties when the user moves on to another page.
  useEffect(() => {
    setText(onSearch ? query : '');
  }, [onSearch, query]);
  return (
    <search className="search">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (text.trim() !== '') navigate(links.search(text.trim()));
        }}
      >
        <input
          type="search"
          name="q"
          aria-label="Search"
          placeholder="Height, hash, account, state key or dataset URI"
          value={text}
          onChange={(event) => setText(event.target.value)}
        />
      </form>
    </search>
  );
}

function NodeIndicator() {
  const { status, statusError, socket, baseUrl, heads } = useNode();
  // Heads arrive over the WebSocket before the next status poll: show whichever is newer.
  const height = Math.max(status?.height ?? 0, heads[0]?.height ?? 0);
  const tone = statusError ? 'bad' : socket === 'open' ? 'good' : 'warn';
  const label = statusError
    ? 'unreachable'
    : socket === 'open'
      ? 'live'
      : socket === 'connecting'
        ? 'connecting'
        : 'polling';
  return (
    <a className="node-indicator" href={links.settings()} title={`Talking to ${baseUrl}: change in Settings`}>
      <Dot tone={tone} label={label} />
      <span className="node-name">{status?.nodeName ?? new URL(baseUrl).host}</span>
      {status ? <span className="node-height">#{formatInteger(height)}</span> : null}
    </a>
  );
}

function Shell({ route, children }: { route: Route; children: ReactNode }) {
  const { statusError, baseUrl, status, isDefaultNode } = useNode();
  const active = section(route);
  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href={links.network()}>
          <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
            <circle cx="16" cy="16" r="14" fill="none" stroke="currentColor" strokeWidth="2.5" />
            <path d="M16 2v28M3 11h26M3 21h26" stroke="currentColor" strokeWidth="2" fill="none" />
          </svg>
          Meridian
        </a>
        {status ? (
          <span className="chain-id" title="chain id">
            {status.chainId}
          </span>
        ) : null}
        <nav className="nav">
          {NAV.map((item) => (
            <a key={item.id} href={item.href} className={active === item.id ? 'active' : ''}>
              {item.label}
            </a>
          ))}
        </nav>
        <SearchBox />
        <NodeIndicator />
      </header>
      {statusError ? (
        <div className="banner">
          <ErrorNotice title={`Cannot reach the node at ${baseUrl}`} error={statusError} />
          <p>
            Is the devnet running (<code>npm start</code>)? {isDefaultNode ? '' : 'You chose this node in '}
            <a href={links.settings()}>Settings</a>
            {isDefaultNode ? ' lets you pick another node.' : '; switch back to the page’s own node there.'}
          </p>
        </div>
      ) : null}
      <main className="content">{children}</main>
      <footer className="footer">
        Talking to <a href={baseUrl}>{baseUrl}</a> through its public API ·{' '}
        <a href={`${baseUrl}/openapi.json`}>OpenAPI</a> · <a href={`${baseUrl}/metrics`}>metrics</a> ·{' '}
        <a href={links.settings()}>settings</a>
      </footer>
    </div>
  );
}

function Page({ route }: { route: Route }) {
  const [first, second, third] = route.segments;
  switch (first) {
    case undefined:
    case 'network':
      return <NetworkPage />;
    case 'explorer':
      return <ExplorerPage />;
    case 'block':
      return second ? <BlockPage id={second} /> : <ExplorerPage />;
    case 'tx':
      return second ? <TxPage hash={second} /> : <ExplorerPage />;
    case 'account':
      return second ? <AccountPage publicKey={second} /> : <ExplorerPage />;
    case 'state':
      return (
        <StatePage
          initialKey={route.params.get('key') ?? ''}
          initialHeight={route.params.get('height') ?? ''}
        />
      );
    case 'search':
      return <SearchPage q={route.params.get('q') ?? ''} />;
    case 'governance':
      return <GovernancePage tab={second} id={third} />;
    case 'provenance':
      return (
        <Suspense fallback={<Loading what="Loading the provenance browser" />}>
          <ProvenancePage uri={route.params.get('uri') ?? ''} />
        </Suspense>
      );
    case 'settings':
      return <SettingsPage />;
    default:
      return <NotFoundPage />;
  }
}

export function App() {
  const route = useRoute();
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll to the top whenever the route changes
  useEffect(() => {
    // (Recent browsers return a promise from scrollTo: not a cleanup function.)
    window.scrollTo(0, 0);
  }, [route.href]);
  return (
    <NodeProvider>
      <DirectoryProvider>
        <KeyProvider>
          <Shell route={route}>
            <Page route={route} />
          </Shell>
        </KeyProvider>
      </DirectoryProvider>
    </NodeProvider>
  );
}
