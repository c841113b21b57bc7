/*
 * coordctl [-c file] [-o format] [-s socket] [--force] command ...
 *
 * The command line is checked against the command tree of cmdtab.c
 * (headscale's names, aliases and flags); local commands run here,
 * the rest go to apid over the control socket with their canonical
 * names.  Global flags may appear anywhere, as in headscale's CLI.
 */
#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "coordctl.h"

static __dead void
usage(void)
{
	fprintf(stderr, "usage: coordctl [-c file] [-o format] "
	    "[-s socket] [--force] command ...\n"
	    "Run \"coordctl help\" for the commands.\n");
	exit(1);
}

static int
parse_format(const char *s, enum output_format *fmt)
{
	if (strcmp(s, "table") == 0 || strcmp(s, "") == 0)
		*fmt = OUTPUT_TABLE;
	else if (strcmp(s, "json") == 0)
		*fmt = OUTPUT_JSON;
	else if (strcmp(s, "json-line") == 0)
		*fmt = OUTPUT_JSON_LINE;
	else if (strcmp(s, "yaml") == 0)
		*fmt = OUTPUT_YAML;
	else
		return (-1);
	return (0);
}

static void
global_flag(struct invocation *inv, const struct flag *fl, const char *val,
    int *help)
{
	switch (fl->lname[0]) {
	case 'c':
		inv->config = val;
		break;
	case 'o':
		if (parse_format(val, &inv->fmt) == -1)
			errx(1, "unknown output format \"%s\"; use table, "
			    "json, json-line or yaml", val);
		break;
	case 's':
		inv->socket = val;
		break;
	case 'f':
		inv->force = 1;
		break;
	case 'h':
		*help = 1;
		break;
	}
}

/* Take the global flags out of argv, wherever they are. */
static int
take_global_flags(struct invocation *inv, int argc, char **argv, int *help)
{
	const struct flag	*fl;
	const char		*val;
	int			 i, n = 0;

	for (i = 0; i < argc; i++) {
		if ((fl = flag_find(global_flags, argv[i], &val)) == NULL) {
			argv[n++] = argv[i];
			continue;
		}
		if (fl->arg != NULL && val == NULL) {
			if (i + 1 == argc)
				errx(1, "flag --%s needs a value", fl->lname);
			val = argv[++i];
		}
		global_flag(inv, fl, val, help);
	}
	return (n);
}

/* One word for coordd: "--name=value" when val is given. */
static void
send_word(struct invocation *inv, const char *word, const char *val)
{
	int	rv;

	if (inv->argc == CTL_ARGS_MAX)
		errx(1, "too many arguments");
	if (val != NULL)
		rv = asprintf(&inv->argv[inv->argc], "--%s=%s", word, val);
	else
		rv = (inv->argv[inv->argc] = strdup(word)) ? 0 : -1;
	if (rv == -1)
		err(1, NULL);
	inv->argc++;
}

static void
send_switch(struct invocation *inv, const char *lname)
{
	if (inv->argc == CTL_ARGS_MAX)
		errx(1, "too many arguments");
	if (asprintf(&inv->argv[inv->argc], "--%s", lname) == -1)
		err(1, NULL);
	inv->argc++;
}

/* A flag of the command: checked here, sent as --long or --long=value. */
static int
cmd_flag(struct invocation *inv, int argc, char **argv, int i)
{
	const struct flag	*fl;
	const char		*val;

	if ((fl = flag_find(inv->cmd->flags, argv[i], &val)) == NULL)
		errx(1, "unknown flag %s for \"%s%s%s\"; see \"coordctl "
		    "%s%s%s --help\"", argv[i],
		    inv->group ? inv->group->name : "", inv->group ? " " : "",
		    inv->cmd->name, inv->group ? inv->group->name : "",
		    inv->group ? " " : "", inv->cmd->name);
	if (fl->arg != NULL && val == NULL) {
		if (i + 1 == argc)
			errx(1, "flag --%s needs a value", fl->lname);
		val = argv[++i];
	}
	if (fl->opts & FL_FILE)
		inv->file = val;
	if (fl->opts & FL_LOCAL) {
		if (strcmp(fl->lname, "tags") == 0)
			inv->showtags = 1;	/* nodes list -t */
	} else if (fl->arg != NULL)
		send_word(inv, fl->lname, val);
	else
		send_switch(inv, fl->lname);
	return (i);
}

static void
parse_cmd_args(struct invocation *inv, int argc, char **argv)
{
	int	i;

	for (i = 0; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			i = cmd_flag(inv, argc, argv, i);
			continue;
		}
		inv->pos[inv->npos++] = argv[i];
		send_word(inv, argv[i], NULL);
	}
}

/* The command named by the first words; returns how many it took. */
static int
find_cmd(struct invocation *inv, int argc, char **argv, int help)
{
	const struct cmd	*c;

	if ((c = cmd_find(cmd_root, argv[0])) == NULL) {
		if (strcmp(argv[0], "serve") == 0)
			errx(1, "unknown command \"serve\": coordd(8) is "
			    "the server");
		errx(1, "unknown command \"%s\"; run \"coordctl help\" for "
		    "the list", argv[0]);
	}
	if (c->sub == NULL) {
		inv->cmd = c;
		return (1);
	}
	inv->group = c;
	if (argc < 2 || argv[1][0] == '-') {
		help_cmd(help ? stdout : stderr, c, NULL);
		exit(help ? 0 : 1);
	}
	if ((inv->cmd = cmd_find(c->sub, argv[1])) == NULL)
		errx(1, "unknown command \"%s\" for \"%s\"; run \"coordctl "
		    "%s --help\" for the list", argv[1], c->name, c->name);
	return (2);
}

int
main(int argc, char *argv[])
{
	struct invocation	 inv;
	int			 help = 0, n, rv, i;

	memset(&inv, 0, sizeof(inv));
	inv.fmt = OUTPUT_TABLE;
	argc = take_global_flags(&inv, argc - 1, argv + 1, &help);
	argv++;
	if (argc < 1) {
		if (!help)
			usage();
		help_root(stdout);
		return (0);
	}
	n = find_cmd(&inv, argc, argv, help);
	if (help) {
		help_cmd(stdout, inv.group, inv.cmd);
		return (0);
	}
	if (inv.group != NULL)
		send_word(&inv, inv.group->name, NULL);
	send_word(&inv, inv.cmd->name, NULL);
	parse_cmd_args(&inv, argc - n, argv + n);
	if (inv.cmd->run != NULL)
		rv = inv.cmd->run(&inv);
	else {
		if (inv.cmd->confirm != NULL && ctl_confirm(&inv) == -1)
			errx(1, "not confirmed; nothing was changed");
		if (inv.force)
			send_switch(&inv, "force");
		rv = ctl_run(&inv);
	}
	for (i = 0; i < inv.argc; i++)
		free(inv.argv[i]);
	return (rv);
}
