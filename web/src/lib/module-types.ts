/**
 * The shapes of the module query answers the console reads (membership,
 * governance, contract), as the modules document them. The console may not
 * import module code (docs/ARCHITECTURE.md: web talks to a node through the
 * public API only), so these mirror src/modules/{membership,governance,contract}
 * records; every page treats fields defensively in case a module is older.
 */

export type Status = 'active' | 'suspended';

/** `membership/organizations`, `membership/organization`. */
export interface Organization {
  readonly id: string;
  readonly name: string;
  readonly regulator: boolean;
  readonly roles: readonly string[];
  readonly status: Status;
  readonly admittedAtHeight: number;
  /** `genesis`, `governance`, or the admitting regulator's key. */
  readonly admittedBy: string;
  readonly statusChangedAtHeight: number;
}

export type MemberKind = 'user' | 'device' | 'node';

/** `membership/members`, `membership/member`. */
export interface Member {
  readonly publicKey: string;
  readonly organization: string;
  readonly kind: MemberKind;
  readonly name: string;
  readonly roles: readonly string[];
  readonly status: Status;
  readonly registeredAtHeight: number;
  readonly registeredBy: string;
  readonly statusChangedAtHeight: number;
  readonly host?: string;
  readonly port?: number;
}

export type ProposalStatus = 'open' | 'passed' | 'rejected' | 'failed' | 'expired';

/** `governance/proposals` (the action summarised: code replaced by its size). */
export interface Proposal {
  readonly id: number;
  readonly action: { readonly type: string; readonly [field: string]: unknown };
  readonly description: string;
  readonly proposer: string;
  readonly organization: string;
  readonly createdAtHeight: number;
  readonly expiresAtHeight: number;
  readonly status: ProposalStatus;
  readonly decidedAtHeight: number | null;
  readonly outcome: unknown;
}

export interface Vote {
  readonly organization: string;
  readonly voter: string;
  readonly approve: boolean;
  readonly height: number;
}

export interface Tally {
  readonly outcome: 'passed' | 'rejected' | 'open';
  readonly threshold: number;
  readonly memberYes: number;
  readonly memberNo: number;
  readonly regulatorYes: number;
  readonly regulatorNo: number;
}

/** `governance/proposal`. */
export interface ProposalDetails extends Proposal {
  readonly votes: readonly Vote[];
  readonly tally: Tally;
}

export interface GovernanceSettings {
  readonly governance: {
    readonly quorum: { readonly numerator: number; readonly denominator: number };
    readonly requireRegulator: boolean;
    readonly votingPeriodBlocks: number;
  };
  readonly parameters: Record<string, unknown> | null;
}

export interface ContractHistoryEntry {
  readonly action: 'deploy' | 'upgrade' | 'disable' | 'enable';
  readonly version: number;
  readonly codeHash: string;
  readonly height: number;
  readonly txHash: string;
  readonly proposal: number | null;
}

/** `contract/list` (without history), `contract/info` (with it). */
export interface ContractSummary {
  readonly name: string;
  readonly version: number;
  readonly codeHash: string;
  readonly codeBytes: number;
  readonly status: 'active' | 'disabled';
  readonly methods: readonly string[];
}

export interface ContractRecord extends ContractSummary {
  readonly history: readonly ContractHistoryEntry[];
}
