/** Governance: proposals, votes by organisation, the quorum rule, and the validator set and parameters it decides. */
export { ACTION_TYPES, type ActionType, type ProposalAction, parseAction, summarize } from './actions.ts';
export {
  GOVERNANCE_MODULE,
  governanceModule,
  MAX_DESCRIPTION_BYTES,
  MAX_PROPOSAL_BYTES,
  MAX_VOTE_BYTES,
  type Proposal,
  type ProposalStatus,
  readParameters,
  readSettings,
  readValidators,
  type Vote,
} from './governance-module.ts';
export { type Electorate, quorumThreshold, type Tally, tally } from './quorum.ts';
export {
  DEFAULT_GOVERNANCE_SETTINGS,
  type GovernanceSettings,
  MAX_VOTING_PERIOD_BLOCKS,
} from './settings.ts';
