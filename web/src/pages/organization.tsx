/** One organisation: what it may do (roles, regulator), its status, and its members: users, devices and nodes. */
import { ModuleView } from '../components/module-state.tsx';
import { Badge, Card, Empty, Field, Fields, Hash, PageHeader } from '../components/ui.tsx';
import { formatInteger, shortHash } from '../lib/format.ts';
import { useNames } from '../lib/membership.ts';
import { useModuleQuery } from '../lib/module-query.ts';
import type { Member, Organization } from '../lib/module-types.ts';
import { useNode } from '../lib/node.tsx';
import { links } from '../lib/router.tsx';

const KIND_LABEL = { user: 'user', device: 'device', node: 'node' } as const;

function By({ value }: { value: string }) {
  const names = useNames();
  if (value === 'genesis' || value === 'governance') return <>{value}</>;
  return <a href={links.account(value)}>{names(value) ?? shortHash(value)}</a>;
}

export function OrganizationPage({ id }: { id: string }) {
  const { validators } = useNode();
  const org = useModuleQuery<Organization | null>('membership', 'organization', { id });
  const members = useModuleQuery<Member[]>('membership', 'members', { organization: id });
  const title = org.kind === 'ok' && org.data ? org.data.name : id;
  return (
    <div className="page" data-testid="organization-page">
      <PageHeader
        title={
          <>
            {title} {org.kind === 'ok' && org.data?.regulator ? <Badge tone="accent">regulator</Badge> : null}
          </>
        }
        subtitle={<a href={links.governance('organizations')}>← all organisations</a>}
      />
      <Card title="Organisation">
        <ModuleView state={org} module="membership" what="the organisation" onRetry={org.reload}>
          {(o) =>
            o === null ? (
              <Empty title={`No organisation “${id}”`}>It is not registered on this chain.</Empty>
            ) : (
              <Fields>
                <Field label="Id">
                  <code>{o.id}</code>
                </Field>
                <Field label="Status">
                  {o.status === 'active' ? (
                    <Badge tone="good">active</Badge>
                  ) : (
                    <Badge tone="bad">{o.status}</Badge>
                  )}
                  {o.statusChangedAtHeight > 0 ? (
                    <span className="muted small">
                      {' '}
                      since <a href={links.block(o.statusChangedAtHeight)}>#{o.statusChangedAtHeight}</a>
                    </span>
                  ) : null}
                </Field>
                <Field label="Kind">
                  {o.regulator
                    ? 'regulator: its users may admit and suspend organisations; one must approve each proposal'
                    : 'member organisation: its admins vote on proposals'}
                </Field>
                <Field label="Roles it may grant">
                  {o.roles.length === 0 ? (
                    <span className="muted">only the built-in ones</span>
                  ) : (
                    o.roles.map((r) => <Badge key={r}>{r}</Badge>)
                  )}
                </Field>
                <Field label="Admitted">
                  {o.admittedAtHeight === 0 ? (
                    'in the genesis block'
                  ) : (
                    <>
                      at <a href={links.block(o.admittedAtHeight)}>#{formatInteger(o.admittedAtHeight)}</a> by{' '}
                      <By value={o.admittedBy} />
                    </>
                  )}
                </Field>
              </Fields>
            )
          }
        </ModuleView>
      </Card>
      <Card title="Members" testId="members">
        <ModuleView state={members} module="membership" what="members" onRetry={members.reload}>
          {(list) =>
            list.length === 0 ? (
              <Empty title="No members yet">
                An org-admin registers users, devices and nodes with a signed statement.
              </Empty>
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Kind</th>
                    <th>Roles</th>
                    <th>Key</th>
                    <th>Status</th>
                    <th>Registered</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((m) => {
                    const validator = validators?.find(
                      (v) => v.publicKey.toLowerCase() === m.publicKey.toLowerCase(),
                    );
                    return (
                      <tr key={m.publicKey} data-testid="member-row">
                        <td>
                          <a href={links.account(m.publicKey)}>{m.name}</a>
                          {validator ? (
                            <>
                              {' '}
                              <Badge tone="accent">validator</Badge>
                            </>
                          ) : null}
                          {m.host ? (
                            <div className="muted small">
                              {m.host}:{m.port}
                            </div>
                          ) : null}
                        </td>
                        <td>{KIND_LABEL[m.kind] ?? m.kind}</td>
                        <td>
                          {m.roles.map((r) => (
                            <Badge
                              key={r}
                              tone={r === 'org-admin' || r === 'regulator' ? 'accent' : 'neutral'}
                            >
                              {r}
                            </Badge>
                          ))}
                        </td>
                        <td>
                          <Hash value={m.publicKey} href={links.account(m.publicKey)} />
                        </td>
                        <td>
                          {m.status === 'active' ? (
                            <Badge tone="good">active</Badge>
                          ) : (
                            <Badge tone="bad">{m.status}</Badge>
                          )}
                        </td>
                        <td>
                          {m.registeredAtHeight === 0 ? (
                            'genesis'
                          ) : (
                            <>
                              <a href={links.block(m.registeredAtHeight)}>
                                #{formatInteger(m.registeredAtHeight)}
                              </a>{' '}
                              by <By value={m.registeredBy} />
                            </>
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
    </div>
  );
}
