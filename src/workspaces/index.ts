export { type FolderEntry, type FolderListing, type ListFoldersOptions, listFolders } from './browse.ts'
export { type DiscoverOptions, discoverRepositories } from './discover.ts'
export { canonicalDirectory, resolveWorkspace, type WorkspaceRef } from './paths.ts'
export { type PickFolderOptions, pickFolder } from './pick.ts'
