/*
 * The two JSON documents every client receives verbatim in its map
 * responses: the DERP map (tailcfg.DERPMap) and the DNS configuration
 * (tailcfg.DNSConfig).  The parent builds them from the configuration
 * and the files it names, because the coordinator is chrooted and
 * cannot read those files, and ships the strings down.  Both builders
 * are pure: they return a malloc'd compact JSON string or NULL with one
 * line in err naming the file (and line) at fault.
 */
#ifndef CLIENTCFG_H
#define CLIENTCFG_H

#include <stddef.h>

struct config;

/* Bounds on the files the builders read. */
#define CLIENTCFG_MAX_FILE	(1024 * 1024)	/* bytes */
#define DERPMAP_MAX_REGIONS	100
#define DERPMAP_MAX_NODES	32		/* per region */
#define DERPMAP_MAX_STRING	255		/* bytes in one value */
#define DNSCONFIG_MAX_RECORDS	10000		/* in extra_records_path */

char	*derpmap_build(const struct config *, char *, size_t);
char	*derpmap_build_with(const struct config *, const char **, size_t,
	    char *, size_t);
int	 derpmap_check(const char *, const char *, char *, size_t);
char	*dnsconfig_build(const struct config *, char *, size_t);

/* Internal to derpmap.c and dnsconfig.c. */
char	*clientcfg_readfile(const char *, size_t *, char *, size_t);

#endif /* CLIENTCFG_H */
