/**
 * Multi-agency approval of a construction project (seed 003 §5.1): an applicant
 * submits an application once; five agencies then decide on it in a fixed order
 *
 *   development & reform → planning → environment → housing → transport
 *
 * Each agency (role `agency:<step>`) may approve or reject only its own step and
 * only when it is that step's turn, always with a comment. A rejection ends the
 * workflow; the fifth approval completes it. Every decision is kept in the
 * application's history and emitted as an event, so the chain holds the whole
 * audit trail.
 *
 * Who may read: the applicant (their own applications), every agency, and the
 * roles `regulator` and `auditor`. Anyone else is refused.
 *
 * State layout (this contract's namespace):
 *   seq                 last application number
 *   app/<id>            the application with its history
 *   queue/<step>/<id>   index of applications waiting for that step
 */
import type { ContractContext, Json } from '../../src/contracts/contract-api.ts';

export const STEPS = ['development-reform', 'planning', 'environment', 'housing', 'transport'] as const;
const OBSERVER_ROLES = ['regulator', 'auditor'];
const MAX_TEXT = 200;
const MAX_COMMENT = 1000;
const MAX_LIST = 50;

type Status = 'pending' | 'approved' | 'rejected';

interface HistoryEntry {
  [key: string]: Json;
  action: 'submitted' | 'approved' | 'rejected';
  step: string | null;
  by: string;
  comment: string;
  height: number;
  timestampMs: number;
}

interface Application {
  [key: string]: Json;
  id: string;
  applicant: string;
  projectName: string;
  location: string;
  documentsHash: string;
  status: Status;
  /** The step whose decision is awaited (index into STEPS); STEPS.length when complete. */
  currentStep: number;
  history: HistoryEntry[];
}

function text(ctx: ContractContext, value: unknown, field: string, max: number): string {
  ctx.require(typeof value === 'string' && value.trim().length > 0, `${field} is required`);
  ctx.require(value.length <= max, `${field} is longer than ${max} characters`);
  return value;
}

function entry(ctx: ContractContext, action: HistoryEntry['action'], step: string | null, comment: string) {
  return {
    action,
    step,
    by: ctx.caller,
    comment,
    height: ctx.block.height,
    timestampMs: ctx.block.timestampMs,
  } satisfies HistoryEntry;
}

function load(ctx: ContractContext, id: unknown): Application {
  ctx.require(typeof id === 'string' && id.length <= 32, 'id is required');
  const application = ctx.state.get<Application>(`app/${id}`);
  ctx.require(application !== undefined, `no application ${id}`);
  return application;
}

function isAgency(ctx: ContractContext): boolean {
  return STEPS.some((step) => ctx.hasRole(`agency:${step}`));
}

function mayRead(ctx: ContractContext, application: Application): boolean {
  return application.applicant === ctx.caller || isAgency(ctx) || OBSERVER_ROLES.some((r) => ctx.hasRole(r));
}

/** Submits an application; returns its id. */
export function submit(
  ctx: ContractContext,
  args: { projectName: string; location: string; documentsHash: string },
): string {
  const projectName = text(ctx, args?.projectName, 'projectName', MAX_TEXT);
  const location = text(ctx, args?.location, 'location', MAX_TEXT);
  const documentsHash = text(ctx, args?.documentsHash, 'documentsHash', 66);
  ctx.require(
    /^0x[0-9a-f]{64}$/.test(documentsHash),
    'documentsHash must be a 0x-prefixed SHA-256 in lowercase hex',
  );

  const seq = (ctx.state.get<number>('seq') ?? 0) + 1;
  const id = `APP-${String(seq).padStart(6, '0')}`;
  const application: Application = {
    id,
    applicant: ctx.caller,
    projectName,
    location,
    documentsHash,
    status: 'pending',
    currentStep: 0,
    history: [entry(ctx, 'submitted', null, '')],
  };
  ctx.state.put('seq', seq);
  ctx.state.put(`app/${id}`, application);
  ctx.state.put(`queue/${STEPS[0]}/${id}`, true);
  ctx.emit('ApplicationSubmitted', { id, applicant: ctx.caller, projectName, documentsHash });
  return id;
}

function decide(ctx: ContractContext, args: { id: string; comment: string }, approve: boolean): Application {
  const application = load(ctx, args?.id);
  const comment = text(ctx, args?.comment, 'comment', MAX_COMMENT);
  ctx.require(
    application.status === 'pending',
    `application ${application.id} is already ${application.status}`,
  );
  const step = STEPS[application.currentStep]!;
  if (!ctx.hasRole(`agency:${step}`)) {
    const own = STEPS.filter((s) => ctx.hasRole(`agency:${s}`));
    ctx.revert(
      own.length === 0
        ? 'only an agency may decide on an application'
        : `it is the turn of ${step}, not ${own.join(', ')}`,
    );
  }
  application.history.push(entry(ctx, approve ? 'approved' : 'rejected', step, comment));
  ctx.state.del(`queue/${step}/${application.id}`);
  if (!approve) {
    application.status = 'rejected';
    ctx.emit('ApplicationRejected', { id: application.id, step, by: ctx.caller, comment });
  } else if (application.currentStep === STEPS.length - 1) {
    application.status = 'approved';
    application.currentStep = STEPS.length;
    ctx.emit('StepApproved', { id: application.id, step, by: ctx.caller });
    ctx.emit('ApplicationApproved', { id: application.id });
  } else {
    application.currentStep += 1;
    const next = STEPS[application.currentStep]!;
    ctx.state.put(`queue/${next}/${application.id}`, true);
    ctx.emit('StepApproved', { id: application.id, step, by: ctx.caller, next });
  }
  ctx.state.put(`app/${application.id}`, application);
  return application;
}

/** The current step's agency approves, with a comment; returns the updated application. */
export function approve(ctx: ContractContext, args: { id: string; comment: string }): Application {
  return decide(ctx, args, true);
}

/** The current step's agency rejects, with a comment; this ends the workflow. */
export function reject(ctx: ContractContext, args: { id: string; comment: string }): Application {
  return decide(ctx, args, false);
}

/** One application with its full history, for its applicant, the agencies, regulators and auditors. */
export function get(ctx: ContractContext, args: { id: string }): Application {
  const application = load(ctx, args?.id);
  ctx.require(mayRead(ctx, application), 'not authorised to read this application');
  return application;
}

/** Applications in id order, for agencies, regulators and auditors (`after` pages on). */
export function list(ctx: ContractContext, args: { after?: string; limit?: number } | null): Application[] {
  ctx.require(
    isAgency(ctx) || OBSERVER_ROLES.some((r) => ctx.hasRole(r)),
    'not authorised to list applications',
  );
  const limit = Math.min(args?.limit ?? MAX_LIST, MAX_LIST);
  const after = args?.after === undefined ? undefined : `app/${args.after}`;
  return ctx.state.scan<Application>('app/', { after, limit }).map((e) => e.value);
}

/** Ids of the applications waiting for the caller's agency. */
export function awaiting(ctx: ContractContext): string[] {
  const ids: string[] = [];
  for (const step of STEPS) {
    if (!ctx.hasRole(`agency:${step}`)) continue;
    for (const e of ctx.state.scan(`queue/${step}/`, { limit: MAX_LIST })) ids.push(e.key.split('/')[2]!);
  }
  return ids;
}
