/*
 * Node names for MagicDNS.  A client's hostname becomes a DNS label:
 * lower case, anything outside [a-z0-9-] turned into '-', no '-' at
 * either end, at most 63 bytes, "node" when nothing is left.  When the
 * label is taken, "-1", "-2", ... is added, as headscale does.
 */
#ifndef NAMES_H
#define NAMES_H

#include <stddef.h>

#define NAME_LABEL_MAX		63
#define NAME_FALLBACK		"node"
#define NAME_SUFFIX_MAX		100000

/* Answers whether a label is already some other node's given name. */
typedef int	(*name_taken_fn)(const char *, void *);

void	name_sanitise(const char *, char *, size_t);
int	name_unique(const char *, name_taken_fn, void *, char *, size_t);
int	name_label_valid(const char *);
int	name_fqdn(const char *, const char *, char *, size_t);

#endif /* NAMES_H */
