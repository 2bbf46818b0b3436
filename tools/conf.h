// conf: the settings file of `pikoci server --config FILE` (tools/cmd_conf.c),
// one setting a line, as PikoCI's viper reads a flat file:
//
//   # comment (also //)
//   db-system = "lmdb"          key = value (HCL/TOML attribute)
//   db_path: /var/lib/pikoci    key: value (YAML); - and _ are the same in keys
//   run-worker = false
//   var = ["a=1", "b=2"]        a list: the setting given once per item
//
// Values are strings to the caller, which checks them as it checks a flag.
#ifndef PK_CONF_H
#define PK_CONF_H

// Called once per setting (per item of a list) with the key as written and
// the unquoted value; returns 0, or -1 to stop (it printed why).
typedef int (pk_conf_fn)(const char *key, const char *value, const char *where, void *arg);

// Read path, calling fn for each setting; where is "FILE:LINE". 0, or -1
// with a message printed (prefixed by who) for an unreadable file, a line
// that is no setting, or fn's -1.
int pk_conf_read(const char *path, const char *who, pk_conf_fn *fn, void *arg);

#endif
