/* coordctl: the command-line client of the control socket. */
#ifndef COORDCTL_H
#define COORDCTL_H

#include <stdio.h>

#include <jansson.h>

enum output_format {
	OUTPUT_TABLE,
	OUTPUT_JSON,
	OUTPUT_YAML,
};

/* output.c */
int	output_render(FILE *, enum output_format, const char *, json_t *);

#endif /* COORDCTL_H */
