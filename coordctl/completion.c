/*
 * Shell completion scripts for bash and zsh, written from the command
 * tree so that they know every command, alias and flag there is.  The
 * copies in etc/completion/ are this output; a test keeps them equal.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "coordctl.h"

/* "a b" as "/a|/b" or "g/a|g/b": the case patterns of a name. */
static void
sh_patterns(FILE *f, const char *group, const struct cmd *c)
{
	const char	*lists[] = { c->aliases, c->hidden };
	const char	*p;
	size_t		 i, n;

	fprintf(f, "\t%s/%s", group, c->name);
	for (i = 0; i < 2; i++)
		for (p = lists[i]; p != NULL && *p != '\0'; p += n) {
			p += strspn(p, " ");
			n = strcspn(p, " ");
			if (n > 0)
				fprintf(f, "|%s/%.*s", group, (int)n, p);
		}
}

static void
sh_names(FILE *f, const struct cmd *tab)
{
	for (; tab->name != NULL; tab++)
		fprintf(f, "%s%s", tab->name, tab[1].name != NULL ? " " : "");
}

static void
sh_next(FILE *f)
{
	const struct cmd	*g, *c;

	fprintf(f, "_coordctl_next() {\n\tcase \"$1/$2\" in\n");
	for (g = cmd_root; g->name != NULL; g++) {
		sh_patterns(f, "", g);
		fprintf(f, ") REPLY=\"%s\" ;;\n", g->name);
		for (c = g->sub; c != NULL && c->name != NULL; c++) {
			sh_patterns(f, g->name, c);
			fprintf(f, ") REPLY=\"%s %s\" ;;\n", g->name, c->name);
		}
	}
	fprintf(f, "\t*) REPLY= ;;\n\tesac\n}\n\n");
}

static void
sh_words(FILE *f)
{
	const struct cmd	*g;

	fprintf(f, "_coordctl_words() {\n\tcase \"$1\" in\n\t\"\"|help) "
	    "REPLY=\"");
	sh_names(f, cmd_root);
	fprintf(f, "\" ;;\n");
	for (g = cmd_root; g->name != NULL; g++) {
		if (g->sub != NULL) {
			fprintf(f, "\t%s) REPLY=\"", g->name);
			sh_names(f, g->sub);
			fprintf(f, "\" ;;\n");
		} else if (g->choices != NULL && g->choices[0] != '@')
			fprintf(f, "\t%s) REPLY=\"%s\" ;;\n", g->name,
			    g->choices);
	}
	fprintf(f, "\t*) REPLY= ;;\n\tesac\n}\n\n");
}

/* The flags of one command, all of them or those taking a value. */
static void
sh_flag_list(FILE *f, const struct flag *fl, int valued)
{
	for (; fl != NULL && fl->lname != NULL; fl++) {
		if (valued && fl->arg == NULL)
			continue;
		fprintf(f, " --%s", fl->lname);
		if (fl->sname)
			fprintf(f, " -%c", fl->sname);
	}
}

static void
sh_flags(FILE *f, const char *func, int valued)
{
	const struct cmd	*g, *c;

	fprintf(f, "%s() {\n\tcase \"$1\" in\n", func);
	for (g = cmd_root; g->name != NULL; g++) {
		if (g->sub == NULL) {
			fprintf(f, "\t\"%s\") REPLY=\"", g->name);
			sh_flag_list(f, g->flags, valued);
			fprintf(f, " \" ;;\n");
		}
		for (c = g->sub; c != NULL && c->name != NULL; c++) {
			fprintf(f, "\t\"%s %s\") REPLY=\"", g->name, c->name);
			sh_flag_list(f, c->flags, valued);
			fprintf(f, " \" ;;\n");
		}
	}
	fprintf(f, "\t*) REPLY=\" \" ;;\n\tesac\n}\n\n");
}

/* The helpers both shells share: plain sh case statements. */
static void
sh_helpers(FILE *f)
{
	sh_next(f);
	sh_words(f);
	sh_flags(f, "_coordctl_flags", 0);
	sh_flags(f, "_coordctl_valued", 1);
	fprintf(f, "_coordctl_global=\"");
	sh_flag_list(f, global_flags, 0);
	fprintf(f, "\"\n_coordctl_global_valued=\"");
	sh_flag_list(f, global_flags, 1);
	fprintf(f, " \"\n\n");
}

/*
 * The walk over the words before the cursor: cmdpath becomes the
 * command, and the values of flags are skipped.  first is the index of
 * the first word after "coordctl" in the shell's array.
 */
static void
sh_walk(FILE *f, const char *words, int first, const char *cur)
{
	fprintf(f,
	    "\tlocal cmdpath= w i skip=0\n"
	    "\tfor ((i = %d; i < %s; i++)); do\n"
	    "\t\tw=${%s[i]}\n"
	    "\t\tif ((skip)); then skip=0; continue; fi\n"
	    "\t\t_coordctl_valued \"$cmdpath\"\n"
	    "\t\tcase \"$_coordctl_global_valued$REPLY\" in\n"
	    "\t\t*\" $w \"*) skip=1; continue ;;\n"
	    "\t\tesac\n"
	    "\t\tcase $w in -*) continue ;; esac\n"
	    "\t\t_coordctl_next \"$cmdpath\" \"$w\"\n"
	    "\t\t[ -n \"$REPLY\" ] && cmdpath=$REPLY\n"
	    "\tdone\n", first, cur, words);
}

void
completion_bash(FILE *f)
{
	fprintf(f, "# bash completion for coordctl(8), written by "
	    "\"coordctl completion bash\".\n\n");
	sh_helpers(f);
	fprintf(f, "_coordctl() {\n"
	    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=\n"
	    "\t((COMP_CWORD > 1)) && prev=${COMP_WORDS[COMP_CWORD-1]}\n");
	sh_walk(f, "COMP_WORDS", 1, "COMP_CWORD");
	fprintf(f,
	    "\tCOMPREPLY=()\n"
	    "\tcase $prev in\n"
	    "\t-o|--output)\n"
	    "\t\tCOMPREPLY=($(compgen -W \"table json json-line yaml\" "
	    "-- \"$cur\"))\n"
	    "\t\treturn ;;\n"
	    "\t-c|--config|-f|--file|-s|--socket)\n"
	    "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	    "\t\treturn ;;\n"
	    "\tesac\n"
	    "\t_coordctl_valued \"$cmdpath\"\n"
	    "\tcase $prev in -*)\n"
	    "\t\tcase \"$_coordctl_global_valued$REPLY\" in\n"
	    "\t\t*\" $prev \"*) return ;;\n"
	    "\t\tesac\n"
	    "\tesac\n"
	    "\tif [[ $cur == -* ]]; then\n"
	    "\t\t_coordctl_flags \"$cmdpath\"\n"
	    "\t\tCOMPREPLY=($(compgen -W \"$REPLY $_coordctl_global\" -- "
	    "\"$cur\"))\n"
	    "\t\treturn\n"
	    "\tfi\n"
	    "\t_coordctl_words \"$cmdpath\"\n"
	    "\tCOMPREPLY=($(compgen -W \"$REPLY\" -- \"$cur\"))\n"
	    "}\n\n"
	    "complete -F _coordctl coordctl\n");
}

void
completion_zsh(FILE *f)
{
	fprintf(f, "#compdef coordctl\n# zsh completion for coordctl(8), "
	    "written by \"coordctl completion zsh\".\n\n");
	sh_helpers(f);
	fprintf(f, "_coordctl() {\n"
	    "\tlocal cur=${words[CURRENT]} prev=${words[CURRENT-1]}\n");
	sh_walk(f, "words", 2, "CURRENT");
	fprintf(f,
	    "\tcase $prev in\n"
	    "\t-o|--output) compadd -- table json json-line yaml; "
	    "return ;;\n"
	    "\t-c|--config|-f|--file|-s|--socket) _files; return ;;\n"
	    "\tesac\n"
	    "\t_coordctl_valued \"$cmdpath\"\n"
	    "\tcase $prev in -*)\n"
	    "\t\tcase \"$_coordctl_global_valued$REPLY\" in\n"
	    "\t\t*\" $prev \"*) return ;;\n"
	    "\t\tesac\n"
	    "\tesac\n"
	    "\tif [[ $cur == -* ]]; then\n"
	    "\t\t_coordctl_flags \"$cmdpath\"\n"
	    "\t\tcompadd -- ${=REPLY} ${=_coordctl_global}\n"
	    "\t\treturn\n"
	    "\tfi\n"
	    "\t_coordctl_words \"$cmdpath\"\n"
	    "\tcompadd -- ${=REPLY}\n"
	    "}\n\n"
	    "if [ \"$funcstack[1]\" = \"_coordctl\" ]; then\n"
	    "\t_coordctl \"$@\"\n"
	    "else\n"
	    "\tcompdef _coordctl coordctl\n"
	    "fi\n");
}

int
cmd_completion(struct invocation *inv)
{
	if (inv->npos != 1)
		errx(1, "usage: coordctl completion bash|zsh");
	if (strcmp(inv->pos[0], "bash") == 0)
		completion_bash(stdout);
	else if (strcmp(inv->pos[0], "zsh") == 0)
		completion_zsh(stdout);
	else
		errx(1, "no completion for \"%s\": bash or zsh",
		    inv->pos[0]);
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	return (0);
}
