/**
 * The shapes every module agrees on, as TypeBox schemas: the types are `Static<>` of them, the API
 * validates requests and describes responses with them, storage maps rows with them. Field names
 * and string values are the original openRuntime's wire format (docs/api.md).
 */
export * from './approval'
export * from './attempt'
export * from './checks'
export * from './cost-ledger'
export * from './diff'
export * from './event'
export * from './policy'
export * from './ranges'
export * from './requests'
export * from './review'
export * from './roster-task'
export * from './run-limits'
export * from './runner-host'
export * from './runner-host-labels'
export { Nullable, optionalOnWire, StringEnum, wire } from './schema-kit'
export * from './task'
export * from './task-group'
export * from './task-view'
export * from './time'
export * from './vocabulary'
