/*
 * coordd: a headscale-compatible Tailscale control server.
 *
 * This file is main(): options, the configuration check (-n), and the
 * choice between the parent and, when re-executed with -P, the
 * coordinator engine.
 */
#include <sys/types.h>

#include <err.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "coordd.h"
#include "log.h"
#include "proc.h"

static __dead void	usage(void);
static int		check_config(const char *, int);

static __dead void
usage(void)
{
	fprintf(stderr, "usage: coordd [-dnv] [-f file]\n");
	exit(1);
}

/* -n: check the config and print the effective one. */
static int
check_config(const char *file, int verbose)
{
	struct config	*conf;
	char		 err[2048];

	if ((conf = parent_config_load(file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "coordd: %s\n", err);
		return (1);
	}
	config_print(stdout, conf, CONFIG_PRINT_REDACT);
	fprintf(stderr, "configuration OK\n");
	config_free(conf);
	return (0);
}

static void
find_self(struct parent *p)
{
	char	buf[PATH_MAX];
	ssize_t	n;

	if ((n = readlink("/proc/self/exe", p->selfexe,
	    sizeof(p->selfexe) - 1)) == -1)
		fatal("readlink /proc/self/exe");
	p->selfexe[n] = '\0';
	strlcpy(buf, p->selfexe, sizeof(buf));
	strlcpy(p->exedir, dirname(buf), sizeof(p->exedir));
}

int
main(int argc, char *argv[])
{
	static struct parent	 parent;
	const char		*conffile = NULL, *procname = NULL;
	int			 ch, debug = 0, verbose = 0, noaction = 0;

	log_init(1, LOG_DAEMON);
	proc_init_title(argc, argv);
	while ((ch = getopt(argc, argv, "df:nP:v")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'P':
			procname = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	if (argc > 0)
		usage();
	if (conffile == NULL)
		conffile = config_default_path();
	if (noaction)
		exit(check_config(conffile, verbose));

	log_init(debug, LOG_DAEMON);
	log_setverbose(verbose);
	if (procname != NULL) {
		if (proc_byname(procname) != PROC_COORD)
			errx(1, "unknown process %s", procname);
		coordinator_main();
	}

	parent.debug = debug;
	parent.verbose = verbose;
	if (realpath(conffile, parent.conffile) == NULL)
		err(1, "%s", conffile);
	find_self(&parent);
	parent_main(&parent);
}
