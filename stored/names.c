/* Node names for MagicDNS: see names.h. */
#include <sys/param.h>

#include <stdio.h>
#include <string.h>

#include "names.h"

static int
label_char(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
}

/* out must hold NAME_LABEL_MAX + 1 bytes. */
void
name_sanitise(const char *host, char *out, size_t outlen)
{
	size_t	i, n = 0;
	int	c;

	for (i = 0; host != NULL && host[i] != '\0' &&
	    n < NAME_LABEL_MAX && n + 1 < outlen; i++) {
		c = (unsigned char)host[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		/* A dotted hostname keeps only its first label. */
		if (c == '.')
			break;
		if (!label_char(c))
			c = '-';
		if (c == '-' && n == 0)
			continue;
		out[n++] = c;
	}
	while (n > 0 && out[n - 1] == '-')
		n--;
	out[n] = '\0';
	if (n == 0)
		strlcpy(out, NAME_FALLBACK, outlen);
}

int
name_label_valid(const char *l)
{
	size_t	i, n = strlen(l);

	if (n == 0 || n > NAME_LABEL_MAX || l[0] == '-' || l[n - 1] == '-')
		return (0);
	for (i = 0; i < n; i++)
		if (!label_char((unsigned char)l[i]))
			return (0);
	return (1);
}

/*
 * The first free label among base, base-1, base-2, ...; the base is cut
 * so that the suffix still fits in 63 bytes.  -1 when none is free.
 */
int
name_unique(const char *host, name_taken_fn taken, void *arg, char *out,
    size_t outlen)
{
	char	base[NAME_LABEL_MAX + 1], suffix[16];
	size_t	room;
	int	i;

	name_sanitise(host, base, sizeof(base));
	if (!taken(base, arg)) {
		strlcpy(out, base, outlen);
		return (0);
	}
	for (i = 1; i < NAME_SUFFIX_MAX; i++) {
		snprintf(suffix, sizeof(suffix), "-%d", i);
		room = NAME_LABEL_MAX - strlen(suffix);
		if ((size_t)snprintf(out, outlen, "%.*s%s",
		    (int)MIN(room, strlen(base)), base, suffix) >= outlen)
			return (-1);
		/* A cut base must not end in '-' before the suffix. */
		if (!name_label_valid(out))
			continue;
		if (!taken(out, arg))
			return (0);
	}
	return (-1);
}

/* "<label>.<base_domain>." with the trailing dot clients expect. */
int
name_fqdn(const char *label, const char *domain, char *out, size_t outlen)
{
	if ((size_t)snprintf(out, outlen, "%s.%s.", label, domain) >= outlen)
		return (-1);
	return (0);
}
