/** Rendering a module query's state: loading, "this chain has no such module", error, or the data. */
import type { ReactNode } from 'react';
import type { ModuleQueryState } from '../lib/module-query.ts';
import { Empty, ErrorNotice, Loading } from './ui.tsx';

export function ModuleView<T>({
  state,
  module,
  what,
  children,
  onRetry,
}: {
  state: ModuleQueryState<T>;
  module: string;
  what: string;
  children: (data: T) => ReactNode;
  onRetry?: () => void;
}) {
  switch (state.kind) {
    case 'loading':
      return <Loading what={`Loading ${what}`} />;
    case 'missing':
      return (
        <Empty title={`This chain has no ${module} module yet`}>
          The node answered that it has no <code>{module}</code> queries
          {state.hint ? ` (${state.hint})` : ''}. {what[0]?.toUpperCase()}
          {what.slice(1)} will show here once the network runs a version with the {module} module: upgrade the
          nodes and restart the devnet with <code>npm start -- --reset</code>.
        </Empty>
      );
    case 'error':
      return <ErrorNotice error={state.error} title={`Could not load ${what}`} onRetry={onRetry} />;
    case 'ok':
      return <>{children(state.data)}</>;
  }
}
