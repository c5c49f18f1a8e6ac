// C shim over net-snmp's libnetsnmp: MIB modules loaded from the configured directories, and OIDs
// translated into their names. Plain types, so the Swift side needs no net-snmp headers.
#ifndef CECCSNMP_H
#define CECCSNMP_H

#include <stddef.h>
#include <stdint.h>

/// Loads every MIB module found in `dirs` (colon-separated), with net-snmp's own defaults off.
/// Returns the number of MIB tree nodes known afterwards. Not thread-safe: call under a lock.
int ecc_mib_load(const char *dirs);

/// Looks up the deepest MIB node naming a prefix of `arcs`. On success returns the number of arcs the
/// node covers (the rest is the instance) and fills `module` and `label`; 0 when nothing below the
/// root is known. Not thread-safe: call under a lock.
size_t ecc_mib_lookup(const uint32_t *arcs, size_t count, char *module, size_t modlen, char *label, size_t labellen);

/// The label of enumeration value `value` of the node that `arcs` (count of them) names exactly, if
/// the node has an enumerated syntax. Returns 1 when found. Not thread-safe: call under a lock.
int ecc_mib_enum(const uint32_t *arcs, size_t count, long value, char *label, size_t labellen);

#endif
