/*
 * Commands that need no coordd: they read the configuration file the
 * way coordd does (common/config.c), or only print.
 */
#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "clientcfg.h"
#include "compat.h"
#include "config.h"
#include "coordctl.h"

#define KEY_LEN		32

static void
no_args(struct invocation *inv, int max)
{
	if (inv->npos > max)
		errx(1, "unexpected argument \"%s\" for \"%s\"",
		    inv->pos[max], inv->cmd->name);
}

/* Is this file there for coordd, which reads it as root? */
static int
check_readable(const char *what, const char *path, char *err, size_t len)
{
	if (path == NULL || *path == '\0' || access(path, R_OK) == 0)
		return (0);
	snprintf(err, len, "%s %s: cannot be read", what, path);
	return (-1);
}

/*
 * The checks of coordd -n that need no privilege: the file, then the
 * DERP map and DNS configuration built from the files it names.
 */
static struct config *
load_checked(struct invocation *inv)
{
	struct config	*conf;
	char		 err[2048], *s;

	if ((conf = config_load(inv->config, 1, err, sizeof(err))) == NULL)
		errx(1, "%s", err);
	if ((s = derpmap_build(conf, err, sizeof(err))) == NULL)
		errx(1, "%s", err);
	free(s);
	if ((s = dnsconfig_build(conf, err, sizeof(err))) == NULL)
		errx(1, "%s", err);
	free(s);
	if (check_readable("tls_cert_path", conf->tls_cert_path, err,
	    sizeof(err)) == -1 || check_readable("tls_key_path",
	    conf->tls_key_path, err, sizeof(err)) == -1)
		errx(1, "%s", err);
	return (conf);
}

int
cmd_configtest(struct invocation *inv)
{
	struct config	*conf;
	char		*msg;

	no_args(inv, 0);
	conf = load_checked(inv);
	if (asprintf(&msg, "%s: configuration OK", conf->path != NULL ?
	    conf->path : "") == -1)
		err(1, NULL);
	config_free(conf);
	output_message(stdout, inv->fmt, "result", msg);
	free(msg);
	return (0);
}

int
cmd_dumpconfig(struct invocation *inv)
{
	struct config	*conf;

	no_args(inv, 0);
	if (inv->fmt != OUTPUT_TABLE && inv->fmt != OUTPUT_YAML)
		errx(1, "dump-config prints YAML only");
	conf = load_checked(inv);
	if (config_print(stdout, conf, CONFIG_PRINT_REDACT) == -1 ||
	    fflush(stdout) == EOF)
		err(1, "stdout");
	config_free(conf);
	return (0);
}

/* An X25519 private key as headscale writes it: privkey:<hex>. */
int
cmd_genkey(struct invocation *inv)
{
	unsigned char	key[KEY_LEN];
	char		hex[KEY_LEN * 2 + 1], text[sizeof(hex) + 8];

	no_args(inv, 0);
	if (sodium_init() == -1)
		errx(1, "sodium_init");
	randombytes_buf(key, sizeof(key));
	/* Clamped, as Go's curve25519 keys are. */
	key[0] &= 248;
	key[31] = (key[31] & 127) | 64;
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	snprintf(text, sizeof(text), "privkey:%s", hex);
	output_message(stdout, inv->fmt, "private_key", text);
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(text, sizeof(text));
	return (0);
}

int
cmd_version(struct invocation *inv)
{
	json_t	*doc;

	no_args(inv, 0);
	if (inv->fmt == OUTPUT_TABLE) {
		printf("%s\n", COORDD_VERSION);
		return (0);
	}
	if ((doc = json_pack("{s:s, s:s, s:b}", "version", COORDD_VERSION,
	    "commit", COORDD_COMMIT, "dirty", 0)) == NULL)
		errx(1, "out of memory");
	output_render(stdout, inv->fmt, "version", doc, 0);
	json_decref(doc);
	return (0);
}

/* help [group [verb]]: as --help after the same words. */
int
cmd_help(struct invocation *inv)
{
	const struct cmd	*g, *c = NULL;

	if (inv->npos == 0) {
		help_root(stdout);
		return (0);
	}
	if ((g = cmd_find(cmd_root, inv->pos[0])) == NULL)
		errx(1, "unknown command \"%s\"; run \"coordctl help\" for "
		    "the list", inv->pos[0]);
	if (inv->npos > 1 && g->sub != NULL &&
	    (c = cmd_find(g->sub, inv->pos[1])) == NULL)
		errx(1, "unknown command \"%s\" for \"%s\"", inv->pos[1],
		    g->name);
	if (g->sub == NULL)
		help_cmd(stdout, NULL, g);
	else
		help_cmd(stdout, g, c);
	return (0);
}
