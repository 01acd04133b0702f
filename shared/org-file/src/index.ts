export {
  orgFileSchema,
  orgFileJsonSchema,
  validateOrgFile,
  orgFileFromAgents,
  LEVEL_RANK,
  type OrgFile,
  type OrgPerson,
  type OrgDepartment,
  type OrgFileError,
  type OrgFileErrorCode,
  type ValidOrg,
  type AgentPosition,
} from './org-file.ts';
