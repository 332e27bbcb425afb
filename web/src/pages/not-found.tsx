import { Empty, PageHeader } from '../components/ui.tsx';
import { links } from '../lib/router.tsx';

export function NotFoundPage() {
  return (
    <div className="page">
      <PageHeader title="Page not found" />
      <Empty
        title="The console has no page at this address"
        action={<a href={links.network()}>Go to the network overview</a>}
      >
        Use the navigation above, or the search box: it takes heights, hashes, keys and dataset URIs.
      </Empty>
    </div>
  );
}
