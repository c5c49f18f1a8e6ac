// See include/CEccSNMP.h.
#include "CEccSNMP.h"

#include <stdlib.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

static int mib_ready = 0;

int ecc_mib_load(const char *dirs) {
    if (!mib_ready) {
        // Only what eccd is told to load: no ~/.snmp, no snmp.conf, no default MIB list.
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
        netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_ERRORS, 0);
        setenv("MIBS", "", 1);
        netsnmp_set_mib_directory(dirs && *dirs ? dirs : "/nonexistent");
        netsnmp_init_mib();
        mib_ready = 1;
    } else if (dirs && *dirs) {
        char *copy = strdup(dirs);
        if (!copy) return -1;
        for (char *dir = strtok(copy, ":"); dir; dir = strtok(NULL, ":")) add_mibdir(dir);
        free(copy);
    }
    read_all_mibs();
    int count = 0;
    // Count the nodes reachable from the root (a rough measure of what was loaded).
    struct tree *stack[256];
    int top = 0;
    for (struct tree *t = get_tree_head(); t; t = t->next_peer) stack[top++] = t;
    while (top > 0) {
        struct tree *t = stack[--top];
        count++;
        for (struct tree *c = t->child_list; c && top < 256; c = c->next_peer) stack[top++] = c;
    }
    return count;
}

size_t ecc_mib_lookup(const uint32_t *arcs, size_t count, char *module, size_t modlen, char *label, size_t labellen) {
    if (!mib_ready || count == 0 || count > 128) return 0;
    oid name[128];
    for (size_t i = 0; i < count; i++) name[i] = arcs[i];
    struct tree *t = get_tree(name, count, get_tree_head());
    if (!t || !t->label) return 0;
    size_t depth = 0;
    for (struct tree *p = t; p; p = p->parent) depth++;
    // get_tree answers with the deepest known node on the path; make sure it is on it.
    if (depth > count) return 0;
    struct tree *p = t;
    for (size_t i = depth; i > 0; i--, p = p->parent)
        if (!p || p->subid != name[i - 1]) return 0;
    if (depth < 2) return 0;
    snprintf(label, labellen, "%s", t->label);
    char buf[256];
    module_name(t->modid, buf);
    snprintf(module, modlen, "%s", buf);
    return depth;
}

int ecc_mib_enum(const uint32_t *arcs, size_t count, long value, char *label, size_t labellen) {
    if (!mib_ready || count == 0 || count > 128) return 0;
    oid name[128];
    for (size_t i = 0; i < count; i++) name[i] = arcs[i];
    struct tree *t = get_tree(name, count, get_tree_head());
    if (!t) return 0;
    for (struct enum_list *e = t->enums; e; e = e->next)
        if (e->value == value && e->label) {
            snprintf(label, labellen, "%s", e->label);
            return 1;
        }
    return 0;
}
