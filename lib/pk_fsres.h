// pk_fsres: the built-in "fs" resource type, run in-process by the runner.
//
// A version is the content hash of a path: the SHA-256 of a regular file's
// bytes (so it equals `sha256sum FILE`), or for a directory the SHA-256 of a
// canonical listing of the whole tree (every entry sorted by relative path,
// with its kind, exec bit, and content hash or symlink target). Symlinks
// inside a tree are recorded and copied as links, never followed, so a link
// pointing outside the tree neither leaks that content into the hash nor into
// the copy; the configured path itself may be a symlink and is followed.
// Anything other than files, directories and symlinks (fifos, sockets,
// devices) is an error rather than silently skipped.
//
// Versions are JSON text, exactly what a command-based check prints on its
// last line, so the runner treats native and command checks alike, in the
// shape of PikoCI's fs.hcl (a file adds its mtime and size, as strings):
//   [{"path":"<path>","hash":"<64 hex>","modified":"<unix s>","size":"<bytes>"}]
//   [{"path":"<dir>","hash":"<64 hex>"}]   or   []
#ifndef PK_FSRES_H
#define PK_FSRES_H

// The version field a later check resumes from (pass its value as last_hash).
#define PK_FSRES_VERSION_KEY "hash"

// Hex SHA-256 of path as described above into hash (65 bytes incl. NUL).
// Returns 0, 1 when path does not exist, -1 on error with *err_out set.
int pk_fsres_hash(const char *path, char hash[65], char **err_out);

// check: "[]" when path is missing or its hash equals last_hash (NULL on the
// first check), else one version. -1 with *err_out on errors (unreadable
// file, unsupported file type).
int pk_fsres_check(const char *path, const char *last_hash,
                   char **versions_json_out, char **err_out);

// pull: copies path into dest_dir (created if missing), merging as PikoCI's
// `cp -r PATH/. $WORKDIR/` does: a directory's contents go directly into
// dest_dir, a file goes to dest_dir/<basename>; what dest_dir already holds
// stays unless the copy has an entry of the same name, which replaces it (a
// file or link in the way is removed first, never written through; a
// directory in the way of a file is an error). When hash is not NULL the
// bytes copied are hashed and must match it: the fs type keeps no history,
// so content that changed since the version was found is an error, not a
// silent substitution.
int pk_fsres_pull(const char *path, const char *hash, const char *dest_dir,
                  char **err_out);

#endif
