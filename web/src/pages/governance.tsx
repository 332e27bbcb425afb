/**
 * Governance and membership: the organisations and their members (users,
 * devices, nodes) with roles, the proposals organisations vote on, and the
 * contracts governance deployed. Each is a module query; a chain without the
 * module says so instead of failing.
 */
import { ModuleView } from '../components/module-state.tsx';
import { Badge, Card, Empty, Hash, PageHeader, Tabs, type Tone } from '../components/ui.tsx';
import { formatInteger, shortHash } from '../lib/format.ts';
import { useNames, useOrganizationDirectory } from '../lib/membership.ts';
import { useModuleQuery } from '../lib/module-query.ts';
import type { ContractSummary, Organization, Proposal, ProposalStatus } from '../lib/module-types.ts';
import { useNode } from '../lib/node.tsx';
import { links, navigate } from '../lib/router.tsx';
import { ContractPage } from './contract.tsx';
import { OrganizationPage } from './organization.tsx';
import { ProposalPage } from './proposal.tsx';

type Tab = 'organizations' | 'proposals' | 'contracts';

const STATUS_TONE: Record<ProposalStatus, Tone> = {
  open: 'info',
  passed: 'good',
  rejected: 'bad',
  failed: 'bad',
  expired: 'neutral',
};

export function ProposalStatusBadge({ status }: { status: ProposalStatus }) {
  return <Badge tone={STATUS_TONE[status] ?? 'neutral'}>{status}</Badge>;
}

/** One line saying what a proposal does. */
export function describeAction(action: Proposal['action']): string {
  const a = action as Record<string, unknown>;
  switch (action.type) {
    case 'admitOrganization': {
      const org = a.organization as { id?: string; name?: string } | undefined;
      return `admit organisation ${org?.name ?? org?.id ?? ''}`;
    }
    case 'suspendOrganization':
      return `suspend organisation ${String(a.id)}`;
    case 'reinstateOrganization':
      return `reinstate organisation ${String(a.id)}`;
    case 'addValidator':
      return `add validator ${shortHash(String(a.publicKey))}`;
    case 'removeValidator':
      return `remove validator ${shortHash(String(a.publicKey))}`;
    case 'deployContract':
      return `deploy contract ${String(a.name)}`;
    case 'upgradeContract':
      return `upgrade contract ${String(a.name)}`;
    case 'disableContract':
      return `disable contract ${String(a.name)}`;
    case 'enableContract':
      return `enable contract ${String(a.name)}`;
    case 'setParameters':
      return `set consensus parameters ${Object.keys((a.parameters as object) ?? {}).join(', ')}`;
    default:
      return action.type;
  }
}

function OrganizationsTab() {
  const directory = useOrganizationDirectory();
  const query = useModuleQuery<Organization[]>('membership', 'organizations', {});
  return (
    <Card title="Organisations" testId="organizations">
      <ModuleView state={query} module="membership" what="organisations" onRetry={query.reload}>
        {(organizations) =>
          organizations.length === 0 ? (
            <Empty title="No organisations on this chain">
              This chain’s genesis names no organisations, so membership is not enforced. A permissioned
              network lists its organisations, their members and nodes in the genesis file; more join through
              a governance proposal.
            </Empty>
          ) : (
            <table className="table table-click">
              <thead>
                <tr>
                  <th>Organisation</th>
                  <th>Id</th>
                  <th>Roles granted</th>
                  <th className="num">Users</th>
                  <th className="num">Devices</th>
                  <th className="num">Nodes</th>
                  <th>Status</th>
                  <th>Admitted</th>
                </tr>
              </thead>
              <tbody>
                {organizations.map((o) => {
                  const members = directory.members.get(o.id) ?? [];
                  const count = (kind: string) => members.filter((m) => m.kind === kind).length;
                  return (
                    <tr
                      key={o.id}
                      data-testid="organization-row"
                      onClick={() => navigate(links.organization(o.id))}
                    >
                      <td>
                        <a href={links.organization(o.id)}>{o.name}</a>{' '}
                        {o.regulator ? <Badge tone="accent">regulator</Badge> : null}
                      </td>
                      <td className="mono">{o.id}</td>
                      <td>
                        {o.roles.length === 0 ? (
                          <span className="muted">—</span>
                        ) : (
                          o.roles.map((r) => <Badge key={r}>{r}</Badge>)
                        )}
                      </td>
                      <td className="num">{count('user')}</td>
                      <td className="num">{count('device')}</td>
                      <td className="num">{count('node')}</td>
                      <td>
                        {o.status === 'active' ? (
                          <Badge tone="good">active</Badge>
                        ) : (
                          <Badge tone="bad">{o.status}</Badge>
                        )}
                      </td>
                      <td>
                        {o.admittedAtHeight === 0 ? (
                          'genesis'
                        ) : (
                          <a href={links.block(o.admittedAtHeight)}>#{formatInteger(o.admittedAtHeight)}</a>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )
        }
      </ModuleView>
    </Card>
  );
}

function ProposalsTab() {
  const { heads } = useNode();
  const names = useNames();
  const query = useModuleQuery<Proposal[]>('governance', 'proposals', {}, heads[0]?.height);
  return (
    <Card title="Proposals" testId="proposals">
      <ModuleView state={query} module="governance" what="proposals" onRetry={query.reload}>
        {(proposals) =>
          proposals.length === 0 ? (
            <Empty title="No proposals yet">
              An organisation’s admin proposes with <code>meridian gov propose</code> (admit an organisation,
              change the validators, deploy a contract …). Proposals appear here with their votes as they come
              in.
            </Empty>
          ) : (
            <table className="table table-click">
              <thead>
                <tr>
                  <th className="num">#</th>
                  <th>Proposal</th>
                  <th>Proposed by</th>
                  <th>Status</th>
                  <th>Opened</th>
                  <th>Open until</th>
                </tr>
              </thead>
              <tbody>
                {proposals.map((p) => (
                  <tr
                    key={p.id}
                    data-testid="proposal-row"
                    onClick={() => navigate(links.proposal(String(p.id)))}
                  >
                    <td className="num">
                      <a href={links.proposal(String(p.id))}>{p.id}</a>
                    </td>
                    <td>
                      <div>{describeAction(p.action)}</div>
                      {p.description ? <div className="muted small">{p.description}</div> : null}
                    </td>
                    <td>
                      <a href={links.organization(p.organization)}>{p.organization}</a>
                      <div className="muted small">{names(p.proposer) ?? shortHash(p.proposer)}</div>
                    </td>
                    <td>
                      <ProposalStatusBadge status={p.status} />
                    </td>
                    <td>
                      <a href={links.block(p.createdAtHeight)}>#{formatInteger(p.createdAtHeight)}</a>
                    </td>
                    <td>#{formatInteger(p.expiresAtHeight)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </ModuleView>
    </Card>
  );
}

function ContractsTab() {
  const { heads } = useNode();
  const query = useModuleQuery<ContractSummary[]>('contract', 'list', {}, heads[0]?.height);
  return (
    <Card title="Contracts" testId="contracts">
      <ModuleView state={query} module="contract" what="contracts" onRetry={query.reload}>
        {(contracts) =>
          contracts.length === 0 ? (
            <Empty title="No contracts deployed">
              Contracts reach the chain only through governance: an organisation proposes the code, the others
              vote with the code hash they approve, and the passing vote deploys it. See{' '}
              <code>meridian gov propose deploy</code>.
            </Empty>
          ) : (
            <table className="table table-click">
              <thead>
                <tr>
                  <th>Contract</th>
                  <th className="num">Version</th>
                  <th>Code hash</th>
                  <th>Methods</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {contracts.map((c) => (
                  <tr
                    key={c.name}
                    data-testid="contract-row"
                    onClick={() => navigate(links.contract(c.name))}
                  >
                    <td>
                      <a href={links.contract(c.name)}>{c.name}</a>
                    </td>
                    <td className="num">{c.version}</td>
                    <td>
                      <Hash value={c.codeHash} copy={false} />
                    </td>
                    <td className="small">{c.methods.join(', ')}</td>
                    <td>
                      {c.status === 'active' ? (
                        <Badge tone="good">active</Badge>
                      ) : (
                        <Badge tone="bad">{c.status}</Badge>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </ModuleView>
    </Card>
  );
}

export function GovernancePage({ tab, id }: { tab: string | undefined; id: string | undefined }) {
  if (tab === 'organization' && id) return <OrganizationPage id={id} />;
  if (tab === 'proposal' && id) return <ProposalPage id={id} />;
  if (tab === 'contract' && id) return <ContractPage name={id} />;
  const active: Tab = tab === 'proposals' || tab === 'contracts' ? tab : 'organizations';
  return (
    <div className="page" data-testid="governance-page">
      <PageHeader
        title="Governance and membership"
        subtitle="Who takes part in this network, what they decide together, and the contracts they agreed to run."
      />
      <Tabs
        active={active}
        tabs={[
          {
            id: 'organizations',
            label: 'Organisations and members',
            href: links.governance('organizations'),
          },
          { id: 'proposals', label: 'Proposals', href: links.governance('proposals') },
          { id: 'contracts', label: 'Contracts', href: links.governance('contracts') },
        ]}
      />
      {active === 'organizations' ? (
        <OrganizationsTab />
      ) : active === 'proposals' ? (
        <ProposalsTab />
      ) : (
        <ContractsTab />
      )}
    </div>
  );
}
