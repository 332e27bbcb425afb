/** The membership registry: organisations, members, roles, registration statements, transaction admission. */
export { activeMember, authorizeTx, permissionFor, TX_PERMISSIONS } from './authorize.ts';
export type { GenesisMember, GenesisOrganization } from './genesis.ts';
export * from './identity.ts';
export { MAX_MEMBERSHIP_PAYLOAD_BYTES, MAX_REASON_BYTES, membershipModule } from './membership-module.ts';
export { admittedNodeKeyHexes, admittedNodeKeys } from './nodes.ts';
export type { Member, Organization } from './records.ts';
export { MEMBERSHIP_MODULE, readMember, readOrganization } from './records.ts';
export * from './statement.ts';
